"""Jira bugs from ticket threads: filing, links, Jira's state, notices, and support load."""
