"""Drives the app the way Slack does: signed slash commands, interactions and events."""
