"""Every scheduled job and on-demand worker step, and how often the jobs run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.db import Pressure, transaction
from bot.events import home_config, reactions, ticket_config
from bot.insights import handoffs, home
from bot.settings import Settings
from bot.tickets import names, questions
from integrations import calls
from integrations.clients import Clients
from scheduling.bug_jobs import bug_jobs
from scheduling.rotation_jobs import rotation_jobs
from scheduling.scheduler import Job, sweep_job
from scheduling.sweeps import digest as digest_sweep
from scheduling.sweeps import directory, zendesk_export
from scheduling.sweeps import inbox as inbox_sweep
from scheduling.sweeps import patterns as patterns_sweep
from scheduling.sweeps import sla as sla_sweep

HOURLY = 3600.0
# How long one inbox transaction may keep taking events (seconds).
INBOX_BUDGET = 0.03
# How long a batch that found only events another transaction was working on waits before
# it looks again (seconds).
DEFERRED_PAUSE = 0.005


def inbox_step(
    factory: sessionmaker[Session],
    settings: Settings,
    clock: Callable[[], datetime],
    pressure: Pressure | None = None,
) -> Callable[[], int]:
    """One batch of stored events; returns how many were finished (or, when it finished none,
    how many it left to another transaction working on their subjects, to look again).

    A batch is one transaction (one commit for many events) that ends after INBOX_BUDGET
    seconds, or as soon as a request arrives, so a webhook never waits long for the writer
    (see `bot.db`)."""
    budget = threading.local()  # each worker thread's own batch deadline

    def more() -> bool:
        return time.monotonic() < budget.deadline and not (pressure is not None and pressure.busy())

    sweep = inbox_sweep.sweep_for(settings, more=more)

    def step() -> int:
        budget.deadline = time.monotonic() + INBOX_BUDGET
        with transaction(factory) as session:
            result = sweep(session, clock())
        finished = result["done"] + result["ignored"] + result["failed"]
        if not finished and result["deferred"]:
            # Another thread or replica was working on these events' subjects: they are free
            # once it commits, and it may have looked for more before this batch let go of
            # them. Look again shortly rather than leave them to the next tick.
            time.sleep(DEFERRED_PAUSE)
            return result["deferred"]
        return finished

    return step


def calls_step(
    factory: sessionmaker[Session],
    clients: Clients,
    settings: Settings,
    clock: Callable[[], datetime],
) -> Callable[[], int]:
    """One batch of pending calls; returns how many were made."""
    table, owners = calls.executors(factory, clients), reactions(settings)

    def step() -> int:
        if not table:
            return 0
        result = calls.run(factory, table, owners, clock(), pacer=clients.zendesk_pace)
        return result["done"] + result["failed"]

    return step


def build_jobs(
    factory: sessionmaker[Session],
    clients: Clients,
    settings: Settings,
    *,
    wake_inbox: Callable[[], None] = lambda: None,
) -> list[Job]:
    """The jobs of one process (they run only while it leads)."""
    configured_groups = [*settings.support_leads, *settings.product_owners]
    config = ticket_config(settings)
    table, owners = calls.executors(factory, clients), reactions(settings)

    def refresh_directory(now: datetime) -> dict[str, Any]:
        return directory.refresh(factory, clients, configured_groups, now)

    def pending(now: datetime) -> dict[str, Any]:
        return calls.run(factory, table, owners, now, pacer=clients.zendesk_pace) if table else {}

    def reconcile(now: datetime) -> dict[str, Any]:
        result = zendesk_export.reconcile(
            factory, clients, backfill=timedelta(hours=settings.zendesk_backfill_hours), now=now
        )
        if result.get("stored"):
            wake_inbox()
        return result

    homes = home_config(settings)

    def refresh_homes(session: Session, now: datetime) -> dict[str, Any]:
        return home.refresh_changed(session, now, homes)

    def release(session: Session, now: datetime) -> dict[str, Any]:
        return {"released": names.release_stale(session, now, config)}

    def escalate(session: Session, now: datetime) -> dict[str, Any]:
        return questions.escalate(session, now, default_leads=settings.support_leads)

    return [
        sweep_job("inbox", factory, inbox_sweep.sweep_for(settings)),
        Job("calls", pending),
        sweep_job("ticket_names", factory, release),
        sweep_job("sla", factory, sla_sweep.sweep),
        sweep_job("questions", factory, escalate),
        sweep_job("handoffs", factory, handoffs.sweep),
        sweep_job("digest", factory, digest_sweep.sweep_for(settings)),
        sweep_job("patterns", factory, patterns_sweep.sweep_for(settings)),
        Job("zendesk_export", reconcile),
        Job("directory", refresh_directory, HOURLY),
        sweep_job("home", factory, refresh_homes),
        *rotation_jobs(factory, clients, settings),
        *bug_jobs(factory, clients, settings),
    ]
