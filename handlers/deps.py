"""What every listener and route is given: settings, sessions, the clock, and wake-up calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.db import Pressure
from bot.settings import Settings
from integrations.metrics import Metrics


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _nothing() -> None:
    return None


@dataclass
class Listening:
    """What the Slack layer registered, so the manifest can be checked against the code."""

    commands: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    shortcuts: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    views: set[str] = field(default_factory=set)
    options: set[str] = field(default_factory=set)


@dataclass
class Deps:
    """Shared by the Slack listeners and the webhook routes."""

    settings: Settings
    factory: sessionmaker[Session]
    clock: Callable[[], datetime] = _utcnow
    wake_inbox: Callable[[], None] = _nothing
    wake_outbox: Callable[[], None] = _nothing
    wake_calls: Callable[[], None] = _nothing
    # This process's name on its wake-up notifications (its own listener skips them).
    instance: str = ""
    # Every request touches it so background work lets requests have SQLite's writer first.
    pressure: Pressure = field(default_factory=Pressure)
    listening: Listening = field(default_factory=Listening)
    metrics: Metrics = field(default_factory=Metrics)
