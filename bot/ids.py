"""Every Slack command, shortcut, event, action, block and callback id the app uses."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands."""

    SUPPORT = "/support"


class Event(StrEnum):
    """Events API event types the app subscribes to."""

    APP_HOME_OPENED = "app_home_opened"


class Shortcut(StrEnum):
    """Global and message shortcut callback ids."""


class Action(StrEnum):
    """Block action ids."""

    HOME_REFRESH = "home_refresh"


class View(StrEnum):
    """Modal callback ids."""
