"""Block Kit for bugs: thread replies and DMs, the File and Link modals, support load."""
