"""Block Kit for rotations: reminders, offers, rosters and the rotation form."""
