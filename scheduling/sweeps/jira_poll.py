"""Jira jobs: poll linked bugs' statuses (the fallback for lost webhooks) and cache metadata.

The poll reads every linked bug that is not done — and those done in the last two weeks, to see
reopens — with `key in (...)` searches of 100 keys, one request each, least recently polled
first, and feeds each answer to the same `observe` the webhooks use, in one short transaction
per batch. A 429 (or a 503 with Retry-After) pauses the poll for that long, kept in AppState so
the pause survives a restart or a change of leader.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.bugs import filing, notices, records
from bot.bugs.state import state_of_issue
from bot.db import transaction
from bot.models import AppState
from integrations.clients import Clients
from integrations.jira import JiraError

log = logging.getLogger("supportbot.bugs")

STATE = "jira.poll"
BATCH = 100
EVERY = 300.0  # seconds between polls
META_EVERY = 3600.0


def poll(
    factory: sessionmaker[Session],
    clients: Clients,
    config: records.BugConfig,
    now: datetime,
    *,
    batch: int = BATCH,
) -> dict[str, Any]:
    """Check every watched bug once; returns counts (bugs, transitions, gone, paused, failed)."""
    jira = clients.jira
    if jira is None:
        return {}
    with transaction(factory) as session:
        state = dict((session.get(AppState, STATE) or AppState(value={})).value)
        keys = records.keys_to_poll(session, now)
    paused = state.get("paused_until")
    if paused and datetime.fromisoformat(paused) > now:
        return {"paused": 1}
    summary = {"bugs": 0, "transitions": 0, "gone": 0}
    for start in range(0, len(keys), batch):
        chunk = keys[start : start + batch]
        try:
            found, missing = jira.statuses(chunk)
        except JiraError as err:
            log.warning("bugs.poll_failed status=%s reason=%s", err.status, err.reason)
            if err.retry_after is not None:
                state["paused_until"] = (now + timedelta(seconds=err.retry_after)).isoformat()
                _save(factory, state, now)
                return {**summary, "paused": 1}
            return {**summary, "failed": 1}
        with transaction(factory) as session:
            for issue in found:
                try:
                    observed = state_of_issue(issue, jira.browse_url(str(issue.get("key"))))
                except ValueError:
                    log.warning("bugs.poll_unreadable key=%s", issue.get("key"))
                    continue
                result = notices.observe(session, observed, source="poll", now=now, config=config)
                summary["transitions"] += result.transition is not None
            records.mark_polled(session, chunk, missing, now)
        summary["bugs"] += len(found)
        summary["gone"] += len(missing)
    if state.get("paused_until"):
        state.pop("paused_until")
        _save(factory, state, now)
    return summary


def refresh_meta(
    factory: sessionmaker[Session], clients: Clients, config: records.BugConfig, now: datetime
) -> dict[str, Any]:
    """Re-read projects, issue types, components and priorities for the File bug modal."""
    if clients.jira is None:
        return {}
    try:
        meta = clients.jira.metadata(config.project_key)
    except JiraError as err:
        log.warning("bugs.meta_failed status=%s reason=%s", err.status, err.reason)
        return {"failed": 1}
    with transaction(factory) as session:
        filing.store_meta(session, meta, now)
    return {"projects": len(meta["projects"])}


def _save(factory: sessionmaker[Session], state: dict[str, Any], now: datetime) -> None:
    with transaction(factory) as session:
        row = session.get(AppState, STATE) or AppState(name=STATE)
        row.value, row.updated_at = dict(state), now
        session.add(row)
