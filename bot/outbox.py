"""The outbox: Slack calls enqueued in the caller's transaction, and what has been posted.

Every row has a unique key, so enqueuing twice is a no-op; a thread reply names its parent's
key and waits for its `ts`, an update names its target's. `bot.delivery` claims and settles
rows for the dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import insert_if_absent, update_rows, wake
from bot.models import OutboxMessage
from bot.render.blocks import Message

POST = "chat.postMessage"
UPDATE = "chat.update"
PUBLISH_HOME = "views.publish"
EPHEMERAL = "chat.postEphemeral"
# A file (a chart) shared into a conversation: files.getUploadURLExternal, the upload, then
# files.completeUploadExternal, made by the dispatcher as one row.
UPLOAD = "files.completeUploadExternal"
METADATA_EVENT_TYPE = "supportbot_message"
ACTIVE = ("pending", "sending")


def enqueue_post(
    session: Session,
    *,
    key: str,
    channel: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
    thread_key: str | None = None,
    thread_ts: str | None = None,
    meta: dict[str, Any] | None = None,
    reply_broadcast: bool = False,
    link_key: str | None = None,
) -> bool:
    """Queue a chat.postMessage (channel id, or user id for a DM); False if the key exists.

    With `link_key`, the message waits until that row's message is posted, and `{permalink}`
    in its text and blocks becomes a link to it.
    """
    payload: dict[str, Any] = {"text": text, "unfurl_links": False, "unfurl_media": False}
    if blocks:
        payload["blocks"] = blocks
    if reply_broadcast:
        payload["reply_broadcast"] = True
    return _insert(
        session,
        key=key,
        method=POST,
        channel=channel,
        payload=payload,
        now=now,
        meta=meta,
        thread_key=thread_key,
        thread_ts=thread_ts,
        target_key=link_key,
    )


def enqueue_message(
    session: Session,
    message: Message,
    *,
    key: str,
    channel: str,
    now: datetime,
    thread_key: str | None = None,
    thread_ts: str | None = None,
    meta: dict[str, Any] | None = None,
    link_key: str | None = None,
) -> bool:
    """Queue a rendered (text, blocks) message as a chat.postMessage (see `enqueue_post`)."""
    text, blocks = message
    return enqueue_post(
        session,
        key=key,
        channel=channel,
        text=text,
        blocks=blocks,
        now=now,
        thread_key=thread_key,
        thread_ts=thread_ts,
        meta=meta,
        link_key=link_key,
    )


def enqueue_update(
    session: Session,
    *,
    key: str,
    target_key: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
) -> bool:
    """Queue a chat.update of the message another row posted; older pending updates lapse."""
    target = session.scalar(select(OutboxMessage.channel).where(OutboxMessage.key == target_key))
    if target is None:
        raise ValueError(f"no outbox message with key {target_key!r} to update")
    payload: dict[str, Any] = {"text": text, "blocks": blocks or []}
    inserted = _insert(
        session,
        key=key,
        method=UPDATE,
        channel=target,
        payload=payload,
        now=now,
        target_key=target_key,
    )
    if inserted:
        _supersede(
            session,
            (OutboxMessage.method == UPDATE) & (OutboxMessage.target_key == target_key),
            key,
        )
    return inserted


def enqueue_ephemeral(
    session: Session,
    *,
    key: str,
    channel: str,
    user_id: str,
    text: str,
    now: datetime,
    thread_ts: str | None = None,
) -> bool:
    """Queue a message only `user_id` sees in `channel` (at most once: never retried blind)."""
    payload: dict[str, Any] = {"text": text, "user": user_id}
    return _insert(
        session,
        key=key,
        method=EPHEMERAL,
        channel=channel,
        payload=payload,
        now=now,
        thread_ts=thread_ts,
    )


def enqueue_upload(
    session: Session,
    *,
    key: str,
    channel: str,
    filename: str,
    title: str,
    alt_text: str,
    chart: dict[str, Any],
    now: datetime,
    thread_key: str | None = None,
) -> bool:
    """Queue a chart (its JSON spec; drawn when sent) shared into `channel`; False if queued.

    `filename` should be unique to this row: an upload whose outcome is unknown is looked up
    by it in the channel before it is made again.
    """
    payload = {"filename": filename, "title": title, "alt_text": alt_text, "chart": chart}
    return _insert(
        session,
        key=key,
        method=UPLOAD,
        channel=channel,
        payload=payload,
        now=now,
        thread_key=thread_key,
    )


def enqueue_home(
    session: Session, *, key: str, user_id: str, view: dict[str, Any], now: datetime
) -> bool:
    """Queue a views.publish of a user's App Home; older pending publishes lapse."""
    inserted = _insert(
        session, key=key, method=PUBLISH_HOME, channel=user_id, payload={"view": view}, now=now
    )
    if inserted:
        _supersede(
            session,
            (OutboxMessage.method == PUBLISH_HOME) & (OutboxMessage.channel == user_id),
            key,
        )
    return inserted


def _insert(
    session: Session,
    *,
    key: str,
    method: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    meta: dict[str, Any] | None = None,
    thread_key: str | None = None,
    thread_ts: str | None = None,
    target_key: str | None = None,
) -> bool:
    if len(key) > 255:
        raise ValueError("outbox keys are at most 255 characters")
    values = {
        "key": key,
        "method": method,
        "channel": channel,
        "thread_key": thread_key,
        "thread_ts": thread_ts,
        "target_key": target_key,
        "payload": payload,
        "meta": meta or {},
        "status": "pending",
        "attempts": 0,
        "uncertain": False,
        "next_attempt_at": now,
        "created_at": now,
    }
    inserted = insert_if_absent(session, OutboxMessage, values, ["key"])
    if inserted:
        wake(session, "outbox")
    return inserted


def _supersede(session: Session, condition: Any, keep_key: str) -> None:
    """Drop queued, unclaimed rows that a newer row replaces (only the latest state matters)."""
    update_rows(
        session,
        OutboxMessage,
        condition,
        OutboxMessage.status == "pending",
        OutboxMessage.key != keep_key,
        status="superseded",
    )


def posted(session: Session, key: str) -> tuple[str, str] | None:
    """The (channel, ts) a sent row's message has in Slack, or None while it is not sent."""
    row = session.execute(
        select(OutboxMessage.posted_channel, OutboxMessage.posted_ts).where(
            OutboxMessage.key == key, OutboxMessage.status == "sent"
        )
    ).first()
    return (row[0], row[1]) if row and row[1] else None


def posted_many(session: Session, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(channel, ts) of the rows already sent, by key (the rest are missing)."""
    found: dict[str, tuple[str, str]] = {}
    keys = list(keys)
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(OutboxMessage.key, OutboxMessage.posted_channel, OutboxMessage.posted_ts).where(
                OutboxMessage.key.in_(keys[start : start + 500]), OutboxMessage.status == "sent"
            )
        ).all()
        found.update({key: (channel, ts) for key, channel, ts in rows if channel and ts})
    return found


def retry_dead(session: Session, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Put dead letters (all, or the given ids) back in the queue; returns how many."""
    where = [OutboxMessage.status == "dead"]
    if ids:
        where.append(OutboxMessage.id.in_(list(ids)))
    return update_rows(
        session,
        OutboxMessage,
        *where,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error=None,
    )


def statuses(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """The status of each of these rows that exists."""
    found = session.execute(
        select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(list(ids)))
    ).all()
    return {row_id: status for row_id, status in found}


def counts(session: Session) -> dict[str, int]:
    """Rows per status."""
    found = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: n for status, n in found}


def listing(session: Session, statuses: Sequence[str], limit: int = 50) -> list[OutboxMessage]:
    """The oldest rows in the given statuses."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(list(statuses)))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def waiting(session: Session) -> dict[str, int]:
    """Rows queued, being sent, and dead, by status (the index on status; sent rows skipped)."""
    found = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_([*ACTIVE, "dead"]))
        .group_by(OutboxMessage.status)
    ).all()
    return {status: n for status, n in found}


def oldest_waiting(session: Session) -> datetime | None:
    """When the oldest message not delivered yet was queued (None when nothing waits).

    Queued, retrying after a failure, paused by a 429, or held behind its thread parent: each
    is a message people are waiting for.
    """
    return session.scalar(
        select(OutboxMessage.created_at)
        .where(OutboxMessage.status.in_(ACTIVE))
        .order_by(OutboxMessage.id)
        .limit(1)
    )
