"""The app's Prometheus metrics, one registry per runtime (tests build many in one process).

Counters and histograms are updated where things happen (webhook routes, the dispatcher, the
scheduler); gauges about queues are read from the database when /metrics is scraped, so they
are right on every replica and after a restart. Labels carry names and states only: never a
token, a message text or a user's id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from bot import inbox, outbox, pending_calls
from bot.db import reading

log = logging.getLogger("supportbot.metrics")

PREFIX = "supportbot"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds from a message being queued to Slack accepting it.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
SWEEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass
class QueueSnapshot:
    """What the database says about the queues at one moment."""

    outbox: dict[str, int] = field(default_factory=dict)
    outbox_oldest_age: float = 0.0
    inbox_pending: int = 0
    inbox_failed: int = 0
    inbox_lag: float = 0.0
    calls: dict[tuple[str, str], int] = field(default_factory=dict)


def read_queues(session: Session, now: datetime) -> QueueSnapshot:
    """Counts and ages of the outbox, the inbox and the pending calls (index-backed queries)."""
    oldest_message = outbox.oldest_waiting(session)
    oldest_event = inbox.oldest_pending(session)
    waiting = inbox.waiting(session)
    return QueueSnapshot(
        outbox=outbox.waiting(session),
        outbox_oldest_age=max((now - oldest_message).total_seconds(), 0.0)
        if oldest_message
        else 0.0,
        inbox_pending=waiting.get("pending", 0),
        inbox_failed=waiting.get("failed", 0),
        inbox_lag=max((now - oldest_event).total_seconds(), 0.0) if oldest_event else 0.0,
        calls=pending_calls.open_counts(session),
    )


class _QueueGauges(Collector):
    """Gauges computed from the database at scrape time."""

    def __init__(self, read: Callable[[], QueueSnapshot]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            f"{PREFIX}_database_up", "1 when the database answered this scrape, else 0"
        )
        try:
            snap = self.read()
        except Exception as exc:  # noqa: BLE001 - a scrape reports the database as down
            log.warning("metrics.database_failed error=%s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            f"{PREFIX}_outbox_depth",
            "Slack messages waiting to go out, by status",
            labels=["status"],
        )
        for status in outbox.ACTIVE:
            depth.add_metric([status], snap.outbox.get(status, 0))
        yield depth
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_age_seconds",
            "How long the oldest undelivered Slack message has been queued",
            value=snap.outbox_oldest_age,
        )
        dead = GaugeMetricFamily(
            f"{PREFIX}_dead_letters",
            "Slack messages given up on (outbox) and events that failed for good (inbox)",
            labels=["queue"],
        )
        dead.add_metric(["outbox"], snap.outbox.get("dead", 0))
        dead.add_metric(["inbox"], snap.inbox_failed)
        yield dead
        yield GaugeMetricFamily(
            f"{PREFIX}_inbox_backlog",
            "Stored webhook and Slack events not processed yet",
            value=snap.inbox_pending,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_inbox_lag_seconds",
            "How long the oldest unprocessed event has waited",
            value=snap.inbox_lag,
        )
        calls = GaugeMetricFamily(
            f"{PREFIX}_pending_calls",
            "Calls to Jira and Zendesk not done, by kind and state",
            labels=["kind", "state"],
        )
        for (kind, state), count in sorted(snap.calls.items()):
            calls.add_metric([kind, state], count)
        yield calls


class Metrics:
    """Every metric of one runtime, on its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.webhooks = Counter(
            f"{PREFIX}_webhook_deliveries",
            "Inbound deliveries by source and outcome (stored, duplicate, ignored, refused)",
            ["source", "outcome"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            f"{PREFIX}_outbox_delivery_latency_seconds",
            "From a message being queued to Slack accepting it",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.slack_ratelimited = Counter(
            f"{PREFIX}_slack_ratelimited",
            "Slack answers with HTTP 429 (the dispatcher waits Retry-After)",
            ["method"],
            registry=r,
        )
        self.slack_retries = Counter(
            f"{PREFIX}_slack_retries",
            "Slack calls that failed and were scheduled again",
            ["method"],
            registry=r,
        )
        self.sweep_duration = Histogram(
            f"{PREFIX}_sweep_duration_seconds",
            "How long each scheduled job took (on the leader)",
            ["job"],
            buckets=SWEEP_BUCKETS,
            registry=r,
        )
        self.leader = Gauge(
            f"{PREFIX}_leader", "1 while this process runs the scheduled work", registry=r
        )
        self.socket_mode = Gauge(
            f"{PREFIX}_socket_mode_connected",
            "1 while connected to Slack through Socket Mode (0 when not, or in HTTP mode)",
            registry=r,
        )

    def webhook(self, source: str, outcome: str) -> None:
        """Count one inbound delivery."""
        self.webhooks.labels(source, outcome).inc()

    def watch_queues(self, factory: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        """Compute the queue gauges from this database at every scrape."""

        def read() -> QueueSnapshot:
            with reading(factory) as session:
                return read_queues(session, clock())

        self.registry.register(_QueueGauges(read))

    def watch_leadership(self, leads: Callable[[], bool]) -> None:
        """Report `leads()` as the leader gauge at every scrape."""
        self.leader.set_function(lambda: 1.0 if leads() else 0.0)

    def exposition(self) -> bytes:
        """Everything in Prometheus' text format."""
        return generate_latest(self.registry)
