"""/support sla: the SLA policy (leads)."""

from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps
from handlers.slack.subcommands import Registry


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add the subcommand."""
