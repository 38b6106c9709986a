"""A Jira Cloud REST and webhook simulator that the `jira` library runs against."""
