"""What the File bug modal asks for: the filing, its checks against the cached Jira metadata,
the thread messages it can quote, and the metadata cache itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ids import BugField as F
from bot.models import AppState, InboundEvent, PendingCall

CREATE = "jira.create"
META = "jira.meta"
PROJECT_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]+$")
SUMMARY_LIMIT = 255


@dataclass
class Filing:
    """What the File bug modal asks Jira to create."""

    project: str
    issue_type: str
    summary: str
    description: str = ""
    priority: str | None = None
    components: list[str] = field(default_factory=list)  # "KEY:Name" from the cache, or names
    labels: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # ts of thread messages to quote


def split_component(value: str) -> tuple[str | None, str]:
    """("SUP", "Backend") for an option value "SUP:Backend"; (None, name) for a typed name."""
    prefix, sep, name = value.partition(":")
    if sep and PROJECT_PATTERN.match(prefix):
        return prefix, name
    return None, value


def validate_filing(filing: Filing, meta: dict[str, Any] | None) -> dict[str, str]:
    """Field problems found before Jira is asked: {block id: message}."""
    errors: dict[str, str] = {}
    if not filing.summary.strip():
        errors[F.SUMMARY] = "Say in a line what is broken."
    elif len(filing.summary) > SUMMARY_LIMIT:
        errors[F.SUMMARY] = f"Jira takes at most {SUMMARY_LIMIT} characters here."
    if not PROJECT_PATTERN.match(filing.project):
        errors[F.PROJECT] = "A Jira project key, like SUP."
    if not filing.issue_type.strip():
        errors[F.ISSUE_TYPE] = "Pick an issue type (usually Bug)."
    project = project_meta(meta, filing.project)
    if project is not None:
        types = project.get("issue_types") or []
        if types and filing.issue_type.lower() not in {t.lower() for t in types}:
            errors[F.ISSUE_TYPE] = (
                f"{filing.project} has no issue type {filing.issue_type}: "
                f"use one of {', '.join(types)}."
            )[:150]
        known = {c.lower() for c in project.get("components") or []}
        wrong = []
        for value in filing.components:
            owner, name = split_component(value)
            if (owner and owner != filing.project) or name.lower() not in known:
                wrong.append(name)
        if wrong:
            errors[F.COMPONENTS] = (
                f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not "
                f"{'a component' if len(wrong) == 1 else 'components'} of {filing.project}."
            )[:150]
    long_labels = [label for label in filing.labels if len(label) > 255]
    if long_labels:
        errors[F.LABELS] = "Labels are at most 255 characters."
    return errors


def jira_fields(filing: Filing) -> dict[str, Any]:
    """The `fields` of the create call, with {"key"}/{"name"} references (no lookups)."""
    fields: dict[str, Any] = {
        "project": {"key": filing.project},
        "issuetype": {"name": filing.issue_type},
        "summary": filing.summary.strip(),
    }
    if filing.priority:
        fields["priority"] = {"name": filing.priority}
    if filing.components:
        fields["components"] = [{"name": split_component(c)[1]} for c in filing.components]
    if filing.labels:
        fields["labels"] = list(dict.fromkeys(filing.labels))
    return fields


@dataclass(frozen=True)
class ThreadMessage:
    """A person's reply in a ticket thread, as the app stored its event."""

    ts: str
    user: str
    text: str


def thread_messages(
    session: Session, channel: str, thread_ts: str, limit: int = 10
) -> list[ThreadMessage]:
    """The latest people's replies in a thread (from stored message events), oldest first."""
    event = InboundEvent.payload["event"]
    rows = session.scalars(
        select(InboundEvent)
        .where(
            InboundEvent.source == "slack",
            InboundEvent.event_type == "message",
            event["channel"].as_string() == channel,
            event["thread_ts"].as_string() == thread_ts,
        )
        .order_by(InboundEvent.id.desc())
        .limit(limit)
    ).all()
    found = []
    for row in reversed(rows):
        body = row.payload.get("event") or {}
        if body.get("text") and body.get("ts"):
            found.append(ThreadMessage(str(body["ts"]), str(body.get("user") or ""), body["text"]))
    return found


def last_refusal(session: Session, ticket_id: int, user_id: str) -> PendingCall | None:
    """This user's latest filing from this ticket, when Jira refused it (to prefill a retry)."""
    call = session.scalar(
        select(PendingCall)
        .where(
            PendingCall.kind == CREATE,
            PendingCall.key.like(f"bug.create:{ticket_id}:%"),
            PendingCall.requested_by == user_id,
        )
        .order_by(PendingCall.id.desc())
        .limit(1)
    )
    return call if call is not None and call.status == "failed" else None


def read_meta(session: Session) -> dict[str, Any] | None:
    """The cached Jira metadata (projects, issue types, components, priorities), if any."""
    row = session.get(AppState, META)
    return dict(row.value) if row is not None and row.value.get("projects") else None


def store_meta(session: Session, meta: dict[str, Any], now: datetime) -> None:
    """Replace the cached Jira metadata."""
    row = session.get(AppState, META) or AppState(name=META)
    row.value, row.updated_at = {**meta, "fetched_at": now.isoformat()}, now
    session.add(row)


def project_meta(meta: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """One project's cached metadata."""
    for project in (meta or {}).get("projects") or []:
        if project.get("key") == key:
            return project
    return None
