"""Support load of Jira bugs: how many tickets each bug (and each Jira component) holds up.

Counts are over current links (`bug_links.unlinked_at IS NULL`); a ticket is open while its
status is not one of `bot.sla.CLOSED`. Counting is one GROUP BY over bug_links, checked
against the open tickets; components are a JSON list per bug, folded in Python so the same
code runs on SQLite JSON and PostgreSQL JSONB.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Text,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from bot import outbox
from bot.bugs.models import Bug, BugLink
from bot.tickets import links
from bot.tickets.models import CLOSED, Ticket, open_tickets

NO_COMPONENT = "(no component)"
# Slack sends a signed-in user from this address to the message in their workspace; used
# until auth.test has told the workspace's own address (bot.links).
ANY_WORKSPACE = "https://slack.com/"


@dataclass(frozen=True)
class BugLoad:
    """One bug and the tickets linked to it now."""

    key: str
    summary: str
    url: str | None
    status: str | None
    category: str | None
    components: list[str]
    open_tickets: int
    total_tickets: int
    last_linked_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ComponentLoad:
    """One Jira component: its linked bugs and their tickets (a ticket on two bugs counts twice)."""

    name: str
    bugs: int
    open_tickets: int
    total_tickets: int


@dataclass(frozen=True)
class LinkedTicket:
    """A ticket linked to a bug: how and by whom, and where its Slack thread is."""

    ticket: Ticket
    how: str
    linked_by: str
    linked_at: datetime
    channel: str
    ts: str | None  # the thread's root message, None until it is posted
    thread_url: str | None  # its permalink, None until it is posted

    @property
    def open(self) -> bool:
        """Whether the ticket is still open."""
        return self.ticket.status not in CLOSED


@dataclass(frozen=True)
class Overview:
    """What `/support bugs` shows: the top bugs, the busiest components, how many bugs in all."""

    bugs: list[BugLoad]
    components: list[ComponentLoad]
    linked_bugs: int


@dataclass(frozen=True)
class _Top:
    """A bug among the busiest: its counts, and the newest link time as the driver gave it."""

    bug_id: int
    key: str
    open_tickets: int
    total_tickets: int
    last_linked: Any


@dataclass(frozen=True)
class _Group:
    """The bugs sharing one list of components (the list's stored text selects them again)."""

    text: str | None
    names: tuple[str, ...]
    bugs: int
    open_tickets: int
    total_tickets: int


def _read(
    session: Session,
    *,
    limit: int = 0,
    texts: Sequence[str] | None = None,
) -> tuple[list[_Top], list[_Group]]:
    """The load per distinct components list and the `limit` busiest bugs, from one count in
    one statement; with `texts`, only of bugs whose stored components list is one of them.

    Links are counted once per bug in a CTE (materialised once: SQLite and PostgreSQL do so
    for a CTE used twice); only the top rows and a few group rows come back to Python.
    """
    counts = (
        select(
            BugLink.bug_id.label("bug_id"),
            _open_links().label("open_tickets"),
            func.count().label("total_tickets"),
            # Left as the driver returns it: converted in `_loads` for the rows shown.
            type_coerce(func.max(BugLink.linked_at), Text).label("last_linked"),
        )
        .where(BugLink.unlinked_at.is_(None))
        .group_by(BugLink.bug_id)
        .cte("counts")
    )
    stored = cast(Bug.components, Text)
    # Joined to each counted bug (and, with `texts`, only to bugs with one of those lists).
    bug = (Bug.id == counts.c.bug_id) & (stored.in_(texts) if texts is not None else true())
    parts = [
        select(
            _null("bug_id"),
            _null("key"),
            stored.label("text"),
            func.sum(counts.c.open_tickets).label("open_tickets"),
            func.sum(counts.c.total_tickets).label("total_tickets"),
            _null("last_linked"),
            func.count().label("bugs"),
        )
        .select_from(counts)
        .join(Bug, bug)
        .group_by(stored)
    ]
    if limit > 0:
        # Ties go by key in code-point order (PostgreSQL's default collation differs).
        key = Bug.key.collate("C") if _dialect(session) == "postgresql" else Bug.key
        top_rows = (
            select(counts, Bug.key.label("key"))
            .join(Bug, bug)
            .order_by(counts.c.open_tickets.desc(), counts.c.total_tickets.desc(), key)
            .limit(limit)
            .subquery("top")
        )
        c = top_rows.c
        parts.append(
            select(
                c.bug_id,
                c.key,
                _null("text"),
                c.open_tickets,
                c.total_tickets,
                c.last_linked,
                _null("bugs"),
            )
        )
    statement = union_all(*parts) if len(parts) > 1 else parts[0]
    tops: list[_Top] = []
    found: list[_Group] = []
    for bug_id, key, text, open_count, total, last, bugs in session.execute(statement):
        if bug_id is not None:
            tops.append(_Top(bug_id, key, int(open_count or 0), int(total), last))
        else:
            names = _names(text)
            found.append(_Group(text, names, int(bugs), int(open_count or 0), int(total)))
    tops.sort(key=lambda t: (-t.open_tickets, -t.total_tickets, t.key))
    return tops, found


def _null(name: str) -> Any:
    return literal_column("NULL").label(name)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _names(text: str | None) -> tuple[str, ...]:
    """Component names from the JSON list's text, without repeats."""
    try:
        names = json.loads(text) if text else []
    except ValueError:
        return ()
    if not isinstance(names, list):
        return ()
    return tuple(dict.fromkeys(str(n) for n in names if n))


def _matches(names: tuple[str, ...], wanted: str) -> bool:
    return wanted.casefold() in (name.casefold() for name in names or (NO_COMPONENT,))


def _loads(session: Session, picked: list[_Top]) -> list[BugLoad]:
    """Full rows of the picked bugs, in the picked order."""
    if not picked:
        return []
    ids = [t.bug_id for t in picked]
    bugs = {b.id: b for b in session.scalars(select(Bug).where(Bug.id.in_(ids)))}
    # The column type's own conversion (SQLite's text, or psycopg's datetime, to aware UTC).
    dialect = session.get_bind().dialect
    column_type = BugLink.__table__.c.linked_at.type.dialect_impl(dialect)
    convert = column_type.result_processor(dialect, None)
    return [
        BugLoad(
            key=bug.key,
            summary=bug.summary,
            url=bug.url,
            status=bug.status,
            category=bug.category,
            components=list(bug.components or []),
            open_tickets=t.open_tickets,
            total_tickets=t.total_tickets,
            last_linked_at=convert(t.last_linked) if convert else t.last_linked,
            created_at=bug.jira_created_at or bug.created_at,
        )
        for t in picked
        if (bug := bugs.get(t.bug_id)) is not None
    ]


def _fold(found: list[_Group], limit: int) -> list[ComponentLoad]:
    """Per component name, summed over the groups that list it."""
    folded: dict[str, list[int]] = {}
    for group in found:
        for name in group.names or (NO_COMPONENT,):
            entry = folded.setdefault(name, [0, 0, 0])
            entry[0] += group.bugs
            entry[1] += group.open_tickets
            entry[2] += group.total_tickets
    loads = [ComponentLoad(name, bugs, o, t) for name, (bugs, o, t) in folded.items()]
    loads.sort(key=lambda c: (-c.open_tickets, -c.total_tickets, c.name.casefold()))
    return loads[:limit]


def ranked(
    session: Session, now: datetime, *, limit: int = 10, component: str | None = None
) -> list[BugLoad]:
    """Bugs with linked tickets, most open tickets first, then most tickets, then by key."""
    return overview(session, now, limit=limit, component=component, component_limit=0).bugs


def components(session: Session, now: datetime, *, limit: int = 10) -> list[ComponentLoad]:
    """Per Jira component, the linked bugs and their open and total tickets, busiest first."""
    _, found = _read(session)
    return _fold(found, limit)


def overview(
    session: Session,
    now: datetime,
    *,
    limit: int = 10,
    component: str | None = None,
    component_limit: int = 10,
) -> Overview:
    """`ranked` and `components` from one count (what `/support bugs` and App Home show).

    With `component`, the bugs are those of that component, and so is the component list.
    """
    texts = None
    if component is not None:
        # Which stored lists name the component: a read of the few distinct lists, no count.
        stored = session.scalars(select(cast(Bug.components, Text)).distinct()).all()
        texts = [t for t in stored if t is not None and _matches(_names(t), component)]
        if not texts:
            return Overview([], [], 0)
    tops, found = _read(session, limit=limit, texts=texts)
    folded = _fold(found, component_limit) if component_limit > 0 else []
    if component is not None:
        folded = [f for f in folded if f.name.casefold() == component.casefold()]
    return Overview(_loads(session, tops), folded, sum(g.bugs for g in found))


def tickets_of(
    session: Session, key: str, *, limit: int | None = None
) -> tuple[Bug, list[LinkedTicket]] | None:
    """A known bug and its currently linked tickets (open first, newest link first), or None.

    `limit` keeps the first that many (a bug may hold thousands); `link_counts` tells how many.
    """
    bug = session.scalar(select(Bug).where(Bug.key == key.strip().upper()))
    if bug is None:
        return None
    query = (
        select(BugLink, Ticket)
        .join(Ticket, Ticket.id == BugLink.ticket_id)
        .where(BugLink.bug_id == bug.id, BugLink.unlinked_at.is_(None))
        .order_by(_closed_last(), BugLink.linked_at.desc(), BugLink.id.desc())
    )
    rows = session.execute(query if limit is None else query.limit(limit)).all()
    roots = outbox.posted_many(session, [ticket.root_key for _, ticket in rows])
    base = links.workspace_url(session) or ANY_WORKSPACE
    linked: list[LinkedTicket] = []
    for link, ticket in rows:
        channel, ts = roots.get(ticket.root_key, (ticket.channel_id, None))
        linked.append(
            LinkedTicket(
                ticket=ticket,
                how=link.how,
                linked_by=link.linked_by,
                linked_at=link.linked_at,
                channel=channel,
                ts=ts,
                thread_url=links.message_link(base, channel, ts) if ts else None,
            )
        )
    return bug, linked


def link_counts(session: Session, bug: Bug) -> tuple[int, int]:
    """(open, total) tickets linked to a bug now."""
    row = session.execute(
        select(_open_links(), func.count())
        .select_from(BugLink)
        .where(BugLink.bug_id == bug.id, BugLink.unlinked_at.is_(None))
    ).one()
    return int(row[0] or 0), int(row[1])


def _open_links() -> Any:
    """How many links have an open ticket: tested against the set of open tickets' ids (which
    SQLite builds once as a list and PostgreSQL hashes) rather than by joining every linked
    ticket, since most tickets are closed; foreign keys keep every link's ticket present."""
    # The predicate of the partial index on open tickets, which serves the subquery.
    open_ids = select(Ticket.id).where(open_tickets())
    return func.sum(case((BugLink.ticket_id.in_(open_ids), 1), else_=0))


def _closed_last() -> Any:
    return case((Ticket.status.in_(CLOSED), 1), else_=0)
