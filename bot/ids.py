"""Every Slack command, shortcut, event, action, block and callback id the app uses."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands."""

    SUPPORT = "/support"


class Event(StrEnum):
    """Events API event types the app subscribes to."""

    APP_HOME_OPENED = "app_home_opened"
    MESSAGE = "message"


class Shortcut(StrEnum):
    """Global and message shortcut callback ids."""

    SEND_TO_TICKET = "send_to_ticket"


class Action(StrEnum):
    """Block action ids."""

    HOME_REFRESH = "home_refresh"
    TICKET_OPEN = "ticket_open"


class View(StrEnum):
    """Modal callback ids."""
