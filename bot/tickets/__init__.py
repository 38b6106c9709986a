"""Helpdesk tickets mirrored into Slack threads: intake, mirror, threads, names, routing, notes."""
