"""Links to Slack messages: the workspace's address (from auth.test) plus channel and ts.

Slack permalinks have the form `https://<workspace>.slack.com/archives/<channel>/p<ts without
the dot>` (https://docs.slack.dev/reference/methods/chat.getPermalink shows it); building them
from the stored workspace URL lets listings link many threads without a call per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.models import AppState
from bot.tickets.models import Ticket

WORKSPACE = "slack_workspace"


def remember_workspace(session: Session, url: str, now: datetime) -> None:
    """Store the workspace URL auth.test reported (e.g. `https://acme.slack.com/`)."""
    row = session.get(AppState, WORKSPACE)
    if row is None:
        session.add(AppState(name=WORKSPACE, value={"url": url}, updated_at=now))
    elif row.value.get("url") != url:
        row.value, row.updated_at = {"url": url}, now


def workspace_url(session: Session) -> str | None:
    """The workspace URL, once auth.test has told it."""
    row = session.get(AppState, WORKSPACE)
    url = row.value.get("url") if row else None
    return str(url) if url else None


def message_link(base: str, channel: str, ts: str) -> str:
    """The permalink of a message (a thread's root links to the whole thread)."""
    return f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def thread_links(session: Session, tickets: Sequence[Ticket]) -> dict[int, str]:
    """Links to the threads of those tickets whose root message is posted, by ticket id."""
    base = workspace_url(session)
    if base is None or not tickets:
        return {}
    roots = outbox.posted_many(session, [t.root_key for t in tickets])
    return {t.id: message_link(base, *roots[t.root_key]) for t in tickets if t.root_key in roots}
