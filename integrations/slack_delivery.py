"""The outbox dispatcher: sends queued Slack calls, paced, retried, and never twice.

Each round claims the ready head of every channel's queue (bot.delivery.claim), sends each
channel's rows in order on a small thread pool, and settles the outcomes in one transaction.
chat.postMessage is paced per channel (Slack allows about one message per second per channel:
https://docs.slack.dev/apis/web-api/rate-limits); a 429 pauses that channel or method for the
`Retry-After` it names. A row whose earlier attempt may have reached Slack (a crash between
Slack's answer and our commit, a timeout, a 5xx) is looked up by its message metadata before
it is sent again.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import delivery, outbox
from bot.db import transaction
from integrations import slack_uploads
from integrations.metrics import Metrics
from integrations.slack_errors import Failure, classify

log = logging.getLogger("supportbot.delivery")

RECONCILE_PAGES = 10
# After a round that sent something, the next starts this much later (seconds), whatever wakes
# the loop meanwhile: under a burst, rows committed one by one are then claimed, sent and
# settled many at a time instead of a round each; after a quiet spell a wake-up still starts a
# round at once.
GATHER = 0.02


@dataclass
class RoundStats:
    """What one dispatcher round did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    wake_in: float | None = None


def make_web_client(token: str, base_url: str, timeout: int = 10) -> WebClient:
    """A WebClient without the SDK's own retries: the outbox decides what is retried."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


class Dispatcher:
    """Delivers outbox rows to Slack; safe to run alongside another (claims are atomic)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        client: WebClient,
        *,
        max_attempts: int = 8,
        channel_rate: float = 1.0,
        batch_size: int = 100,
        workers: int = 4,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ) -> None:
        self.factory = factory
        self.metrics = metrics or Metrics()
        self.client = client
        self.max_attempts = max_attempts
        self.interval = 1.0 / channel_rate if channel_rate > 0 else 0.0
        self.batch_size = batch_size
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox")
        self._next_post: dict[str, float] = {}
        self._paused: dict[str, float] = {}
        self._dm_channels: dict[str, str] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()

    # ---- public ----------------------------------------------------------------------------
    def notify(self) -> None:
        """Wake the loop: new rows were committed."""
        self._wake.set()

    def run(
        self,
        stop: threading.Event,
        *,
        active: Callable[[], bool] = lambda: True,
        yield_to: Callable[[], None] = lambda: None,
    ) -> None:
        """Deliver until `stop` is set; idle while `active()` is false (not the leader).

        `yield_to()` is called before each round so a burst of requests goes first.
        """
        while not stop.is_set():
            wait = 1.0
            if active():
                yield_to()
                try:
                    stats = self.run_once()
                    wait = 0.0 if stats.claimed else (stats.wake_in or 1.0)
                except Exception:  # noqa: BLE001 - keep delivering; the round is logged
                    log.exception("outbox.round_failed")
                    wait = 1.0
                else:
                    if stats.claimed:
                        stop.wait(GATHER)
            if wait > 0:
                self._wake.wait(min(wait, 1.0))
                self._wake.clear()

    def drain(self, *, timeout: float = 30.0) -> RoundStats:
        """Run rounds until nothing is left to send now (tests, demo, CLI); returns totals.

        Waits out pacing and Retry-After pauses, but not retry backoff: a row scheduled for
        later stays queued.
        """
        total = RoundStats()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = self.run_once()
            total.claimed += stats.claimed
            total.sent += stats.sent
            total.retried += stats.retried
            total.dead += stats.dead
            if stats.claimed:
                continue
            with transaction(self.factory) as session:
                due = delivery.due_count(session, _dt(self.clock()))
            if not due or stats.wake_in is None:
                break
            time.sleep(min(stats.wake_in, max(deadline - time.monotonic(), 0)))
        return total

    def close(self) -> None:
        """Let in-flight sends finish and release the worker threads."""
        self._pool.shutdown(wait=True)

    # ---- one round ----------------------------------------------------------------------------
    def run_once(self) -> RoundStats:
        """Claim what is ready, send it, record the outcomes."""
        now = self.clock()
        with transaction(self.factory) as session:
            batch = delivery.claim(
                session, _dt(now), limit=self.batch_size, allowance=self._allowance(now)
            )
        stats = RoundStats(claimed=len(batch), wake_in=self._wake_in(now))
        if not batch.by_channel:
            return stats
        futures = [self._pool.submit(self._send_lane, rows) for rows in batch.by_channel.values()]
        outcomes = [o for f in futures for o in f.result()]
        settled_at = self.clock()
        with transaction(self.factory) as session:
            delivery.settle(session, outcomes, _dt(settled_at), self.max_attempts)
        claimed = {row.id: row for rows in batch.by_channel.values() for row in rows}
        for o in outcomes:
            if o.sent:
                stats.sent += 1
                row = claimed[o.id]
                waited = max(settled_at - row.created_at.timestamp(), 0.0)
                self.metrics.delivery_latency.labels(row.method).observe(waited)
            elif o.permanent:
                stats.dead += 1
            elif not o.not_attempted:
                stats.retried += 1
        stats.wake_in = self._wake_in(self.clock())
        return stats

    def _allowance(self, now: float) -> Callable[[str, str], int]:
        def allowance(lane: str, method: str) -> int:
            with self._lock:
                if self._paused.get(method, 0) > now or self._paused.get(lane, 0) > now:
                    return 0
                if method == outbox.POST and self.interval:
                    return 1 if self._next_post.get(lane, 0) <= now else 0
            return self.batch_size

        return allowance

    def _wake_in(self, now: float) -> float | None:
        """Seconds until the next pacing slot or pause ends; None when nothing is waiting."""
        with self._lock:
            upcoming = [t for t in (*self._next_post.values(), *self._paused.values()) if t > now]
        return max(min(upcoming) - now, 0.001) if upcoming else None

    # ---- sending ------------------------------------------------------------------------------
    def _send_lane(self, rows: list[delivery.Claimed]) -> list[delivery.Outcome]:
        outcomes: list[delivery.Outcome] = []
        for index, row in enumerate(rows):
            outcome = self._send_one(row)
            outcomes.append(outcome)
            if not outcome.sent:
                outcomes.extend(
                    delivery.Outcome(r.id, not_attempted=True) for r in rows[index + 1 :]
                )
                break
        return outcomes

    def _send_one(self, row: delivery.Claimed) -> delivery.Outcome:
        try:
            if row.method == outbox.POST:
                return self._post(row)
            if row.method == outbox.UPDATE:
                assert row.target is not None
                self.client.chat_update(
                    channel=row.target[0], ts=row.target[1], **_slack_args(row.payload)
                )
                return delivery.Outcome(row.id, sent=True, channel=row.target[0], ts=row.target[1])
            if row.method == outbox.EPHEMERAL:
                args = {"text": row.payload["text"], "user": row.payload["user"]}
                if row.thread_ts:
                    args["thread_ts"] = row.thread_ts
                self.client.chat_postEphemeral(channel=row.channel, **args)
                return delivery.Outcome(row.id, sent=True, channel=row.channel)
            if row.method == outbox.UPLOAD:
                return self._upload(row)
            if row.method == outbox.PUBLISH_HOME:
                self.client.views_publish(user_id=row.channel, view=row.payload["view"])
                return delivery.Outcome(row.id, sent=True, channel=row.channel)
            return delivery.Outcome(row.id, error=f"unknown method {row.method}", permanent=True)
        except (SlackApiError, OSError) as exc:
            return self._failed(row, classify(exc))

    def _post(self, row: delivery.Claimed) -> delivery.Outcome:
        channel = self._channel_for(row.channel)
        if row.uncertain:
            found = self._find_posted(channel, row)
            if found is not None:
                log.info("outbox.reconciled key=%s channel=%s ts=%s", row.key, channel, found)
                return delivery.Outcome(row.id, sent=True, channel=channel, ts=found)
        metadata = {
            "event_type": outbox.METADATA_EVENT_TYPE,
            "event_payload": {"outbox_key": row.key, **row.meta},
        }
        args = _slack_args(row.payload)
        if row.target is not None:
            link = self.client.chat_getPermalink(channel=row.target[0], message_ts=row.target[1])
            args = json.loads(json.dumps(args).replace("{permalink}", link["permalink"]))
        if row.thread_ts:
            args["thread_ts"] = row.thread_ts
        try:
            response = self.client.chat_postMessage(channel=channel, metadata=metadata, **args)
        finally:
            self._posted(row.channel, self.clock())
        return delivery.Outcome(row.id, sent=True, channel=response["channel"], ts=response["ts"])

    def _upload(self, row: delivery.Claimed) -> delivery.Outcome:
        try:
            return slack_uploads.share(self.client, self._channel_for(row.channel), row)
        finally:
            self._posted(row.channel, self.clock())

    def _posted(self, lane: str, at: float) -> None:
        if self.interval:
            with self._lock:
                self._next_post[lane] = at + self.interval

    def _channel_for(self, target: str) -> str:
        """A user id becomes the bot's DM channel with that user (cached)."""
        if not target.startswith(("U", "W")):
            return target
        with self._lock:
            known = self._dm_channels.get(target)
        if known:
            return known
        opened = self.client.conversations_open(users=target)["channel"]["id"]
        with self._lock:
            self._dm_channels[target] = opened
        return opened

    def _find_posted(self, channel: str, row: delivery.Claimed) -> str | None:
        """The ts of a message this row already posted, found by its metadata, or None."""
        cursor = None
        for _ in range(RECONCILE_PAGES):
            if row.thread_ts:
                page = self.client.conversations_replies(
                    channel=channel,
                    ts=row.thread_ts,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                oldest = row.created_at.timestamp() - 120
                page = self.client.conversations_history(
                    channel=channel,
                    oldest=f"{oldest:.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if (
                    meta.get("event_type") == outbox.METADATA_EVENT_TYPE
                    and (meta.get("event_payload") or {}).get("outbox_key") == row.key
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _failed(self, row: delivery.Claimed, failure: Failure) -> delivery.Outcome:
        now = self.clock()
        if failure.retry_after is not None:
            scope = row.channel if row.method == outbox.POST else row.method
            with self._lock:
                self._paused[scope] = now + failure.retry_after
            self.metrics.slack_ratelimited.labels(row.method).inc()
            log.warning(
                "outbox.ratelimited key=%s method=%s retry_after=%.0f",
                row.key,
                row.method,
                failure.retry_after,
            )
            return delivery.Outcome(
                row.id,
                error="ratelimited",
                counts_attempt=False,
                retry_at=_dt(now + failure.retry_after),
            )
        attempt = row.attempts + 1
        if row.method == outbox.EPHEMERAL and failure.uncertain:
            # Ephemeral messages cannot be looked up afterwards: at most once, never twice.
            failure = Failure(failure.error, permanent=True)
        permanent = failure.permanent or attempt >= self.max_attempts
        backoff = min(2.0**attempt, 300.0) * random.uniform(0.8, 1.2)  # noqa: S311
        if permanent:
            hint = f" hint={failure.hint!r}" if failure.hint else ""
            log.error(
                "outbox.dead key=%s channel=%s error=%s attempts=%d%s",
                row.key,
                row.channel,
                failure.error,
                attempt,
                hint,
            )
        else:
            self.metrics.slack_retries.labels(row.method).inc()
            log.warning(
                "outbox.retry key=%s error=%s attempt=%d in=%.1fs",
                row.key,
                failure.error,
                attempt,
                backoff,
            )
        return delivery.Outcome(
            row.id,
            error=failure.error,
            permanent=failure.permanent,
            uncertain=failure.uncertain,
            retry_at=_dt(now + backoff),
        )


def _slack_args(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in payload.items()
        if k in {"text", "blocks", "unfurl_links", "unfurl_media", "reply_broadcast", "mrkdwn"}
    }


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
