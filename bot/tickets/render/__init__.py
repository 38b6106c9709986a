"""Block Kit for ticket threads and routing answers."""
