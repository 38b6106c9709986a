"""Emerging patterns: a tag, Jira component or helpdesk group with many more tickets in the
last 24 hours than its daily baseline over the four weeks before, raised to the leads once a day.

The sweep is a few aggregate queries (one per kind, each a GROUP BY over the 29 days of tickets
on the `first_seen_at` index), and nothing at all when no ticket, link or bug changed since the
last sweep in the same hour: a cursor in `app_state` remembers what the last sweep saw. A spike
is claimed by inserting its `patterns` row (unique on day, kind and value) in the same
transaction as its outbox rows, so running twice, late or on two replicas raises it once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from bot import outbox, people
from bot.bugs import filing, linking, records
from bot.bugs.models import Bug, BugLink
from bot.db import insert_if_absent
from bot.errors import UserError
from bot.ids import BugField as F
from bot.insights.models import Pattern
from bot.insights.render import patterns as render
from bot.models import AppState
from bot.tickets import links
from bot.tickets.models import Ticket

WINDOW = timedelta(hours=24)
BASELINE_DAYS = 28
LISTED = 10  # tickets shown in the message (all are linked by File one bug for all)
LINKED_MAX = 50
CURSOR = "patterns"
KINDS = ("tag", "component", "group")
DESCRIPTION_LIMIT = 3000  # a modal's plain text input


@dataclass(frozen=True)
class PatternConfig:
    """Thresholds and where spikes go (LEADS_CHANNEL, else DMs to SUPPORT_LEADS)."""

    min_tickets: int = 5
    factor: float = 3.0
    channel: str | None = None
    leads: Sequence[str] = ()


@dataclass(frozen=True)
class Spike:
    """One kind/value whose last 24 hours stand out from its baseline."""

    kind: str
    value: str
    tickets: int
    baseline: float  # tickets per day over the four weeks before

    @property
    def ratio(self) -> float | None:
        """How many times the baseline (None when the baseline is zero)."""
        return self.tickets / self.baseline if self.baseline else None


@dataclass
class Raised:
    """A spike as the leads see it: its row, its tickets with thread links, the common bug."""

    pattern: Pattern
    tickets: list[tuple[Ticket, str | None]] = field(default_factory=list)
    bug: Bug | None = None
    bug_share: int = 0


# ---- counting -------------------------------------------------------------------------------


def json_values(session: Session, column: Any) -> tuple[Any, ColumnElement[bool]]:
    """A table-valued expansion of a JSON array column and the "is an array" guard."""
    if session.get_bind().dialect.name == "postgresql":
        each = func.jsonb_array_elements_text(column).table_valued("value")
        return each, func.jsonb_typeof(column) == "array"
    # SQLite's json_each yields a scalar's one value instead of failing: no guard needed (and
    # checking each row's JSON type costs a quarter of the scan).
    return func.json_each(column).table_valued("value"), true()


def _counted(
    session: Session, value: Any, query: Any, recent: Any, minimum: int, ticket: Any = None
) -> list[tuple[str, int, int]]:
    """(value, tickets in the window, tickets before it) for values with at least `minimum`.

    With `ticket`, tickets are counted distinct (a ticket reaches a component through each of
    its bugs); otherwise each row is one ticket.
    """
    if ticket is not None:
        in_window: Any = func.count(func.distinct(case((recent, ticket))))
        total: Any = func.count(func.distinct(ticket))
    else:
        in_window, total = func.sum(case((recent, 1), else_=0)), func.count()
    rows = session.execute(
        query.add_columns(value, in_window, total).group_by(value).having(in_window >= minimum)
    ).all()
    return [(str(v), int(n), int(t) - int(n)) for v, n, t in rows if v not in (None, "")]


def counts(session: Session, now: datetime, minimum: int) -> dict[str, list[tuple[str, int, int]]]:
    """Per kind: (value, tickets in the last 24 hours, tickets in the 28 days before)."""
    since, start = now - WINDOW, now - WINDOW - timedelta(days=BASELINE_DAYS)
    seen = (Ticket.first_seen_at >= start, Ticket.first_seen_at <= now)
    recent = Ticket.first_seen_at >= since
    found: dict[str, list[tuple[str, int, int]]] = {}
    tags, arrays = json_values(session, Ticket.tags)
    found["tag"] = _counted(
        session,
        tags.c.value,
        select().select_from(Ticket).join(tags, true()).where(*seen, arrays),
        recent,
        minimum,
    )
    found["group"] = _counted(session, Ticket.group_name, select().where(*seen), recent, minimum)
    parts, part_arrays = json_values(session, Bug.components)
    found["component"] = _counted(
        session,
        parts.c.value,
        select()
        .select_from(BugLink)
        .join(Ticket, Ticket.id == BugLink.ticket_id)
        .join(Bug, Bug.id == BugLink.bug_id)
        .join(parts, true())
        .where(*seen, BugLink.unlinked_at.is_(None), part_arrays),
        recent,
        minimum,
        ticket=Ticket.id,
    )
    return found


def spikes(session: Session, now: datetime, config: PatternConfig) -> list[Spike]:
    """Every kind/value at or over both thresholds now, biggest first."""
    found = []
    for kind, rows in counts(session, now, config.min_tickets).items():
        for value, recent, before in rows:
            baseline = before / BASELINE_DAYS
            if recent >= config.min_tickets and recent >= config.factor * baseline:
                found.append(Spike(kind, value[:255], recent, baseline))
    found.sort(key=lambda s: (-s.tickets, s.kind, s.value))
    return found


# ---- the sweep ------------------------------------------------------------------------------


def _stamp(session: Session, now: datetime) -> dict[str, Any]:
    """What the sweep has seen: the newest ticket, link and bug change, and the hour."""
    return {
        "ticket": session.scalar(select(func.max(Ticket.id))) or 0,
        "link": session.scalar(select(func.max(BugLink.id))) or 0,
        "unlinked": str(session.scalar(select(func.max(BugLink.unlinked_at))) or ""),
        "bug": str(session.scalar(select(func.max(Bug.updated_at))) or ""),
        # Tickets leave the window as time passes (a baseline may drop): once an hour anyway.
        "hour": now.strftime("%Y-%m-%dT%H"),
    }


def sweep(session: Session, now: datetime, config: PatternConfig) -> dict[str, int]:
    """Raise each new spike once per UTC day; cheap when nothing changed since the last run."""
    stamp = _stamp(session, now)
    row = session.get(AppState, CURSOR)
    if row is not None and row.value == stamp:
        return {"raised": 0, "skipped": 1}
    raised = 0
    today = {
        (kind, value)
        for kind, value in session.execute(
            select(Pattern.kind, Pattern.value).where(Pattern.day == now.strftime("%Y-%m-%d"))
        )
    }
    for spike in spikes(session, now, config):
        if (spike.kind, spike.value) not in today:  # the claim below decides races
            raised += int(raise_spike(session, spike, now, config))
    if row is None:  # a replica racing this one may insert it first: then it stands
        insert_if_absent(
            session, AppState, {"name": CURSOR, "value": stamp, "updated_at": now}, ["name"]
        )
    else:
        row.value, row.updated_at = stamp, now
    return {"raised": raised, "skipped": 0}


def spike_tickets(session: Session, spike: Spike, now: datetime) -> list[Ticket]:
    """The tickets of a spike's last 24 hours, oldest first (at most LINKED_MAX)."""
    query = select(Ticket).where(Ticket.first_seen_at >= now - WINDOW, Ticket.first_seen_at <= now)
    if spike.kind == "tag":
        tags, arrays = json_values(session, Ticket.tags)
        query = query.join(tags, true()).where(arrays, tags.c.value == spike.value)
    elif spike.kind == "group":
        query = query.where(Ticket.group_name == spike.value)
    else:
        parts, arrays = json_values(session, Bug.components)
        query = (
            query.join(BugLink, BugLink.ticket_id == Ticket.id)
            .join(Bug, Bug.id == BugLink.bug_id)
            .join(parts, true())
            .where(BugLink.unlinked_at.is_(None), arrays, parts.c.value == spike.value)
        )
    rows = session.scalars(query.order_by(Ticket.first_seen_at, Ticket.id)).all()
    return list(dict.fromkeys(rows))[:LINKED_MAX]


def common_bug(session: Session, ticket_ids: Sequence[int]) -> tuple[Bug | None, int]:
    """The bug linked to the most of these tickets (when it is more than half), and how many."""
    if not ticket_ids:
        return None, 0
    shares = Counter(
        bug_id
        for (bug_id,) in session.execute(
            select(BugLink.bug_id).where(
                BugLink.ticket_id.in_(list(ticket_ids)), BugLink.unlinked_at.is_(None)
            )
        )
    )
    if not shares:
        return None, 0
    bug_id, share = min(shares.items(), key=lambda item: (-item[1], item[0]))
    if share * 2 <= len(ticket_ids):
        return None, 0
    return session.get(Bug, bug_id), share


def recipients(session: Session, config: PatternConfig) -> list[str]:
    """The leads' channel, or each lead (a user group expanded) for a DM."""
    if config.channel:
        return [config.channel]
    return sorted(people.expand(session, list(config.leads)))


def raise_spike(session: Session, spike: Spike, now: datetime, config: PatternConfig) -> bool:
    """Record the spike for today and queue its message; False when already raised today."""
    tickets = spike_tickets(session, spike, now)
    bug, _ = common_bug(session, [t.id for t in tickets])
    claimed = insert_if_absent(
        session,
        Pattern,
        {
            "day": now.strftime("%Y-%m-%d"),
            "kind": spike.kind,
            "value": spike.value,
            "tickets": spike.tickets,
            "baseline": round(spike.baseline, 4),
            "ticket_ids": [t.id for t in tickets],
            "bug_key": bug.key if bug is not None else None,
            "raised_at": now,
        },
        ["day", "kind", "value"],
    )
    if not claimed:
        return False
    pattern = session.scalar(
        select(Pattern).where(
            Pattern.day == now.strftime("%Y-%m-%d"),
            Pattern.kind == spike.kind,
            Pattern.value == spike.value,
        )
    )
    assert pattern is not None
    message = render.raised(describe(session, pattern))
    for target in recipients(session, config):
        outbox.enqueue_message(
            session, message, key=f"pattern:{pattern.id}:{target}", channel=target, now=now
        )
    return True


def describe(session: Session, pattern: Pattern) -> Raised:
    """A recorded pattern with its tickets (and thread links) and the bug most share."""
    ids = [int(i) for i in pattern.ticket_ids or []]
    found = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    tickets = [found[i] for i in ids if i in found]
    shown = links.thread_links(session, tickets)
    bug, share = common_bug(session, [t.id for t in tickets])
    return Raised(pattern, [(t, shown.get(t.id)) for t in tickets], bug, share)


def recent(session: Session, now: datetime, days: int = 7) -> list[Pattern]:
    """Patterns raised in the last `days` days, newest first."""
    return list(
        session.scalars(
            select(Pattern)
            .where(Pattern.raised_at >= now - timedelta(days=days))
            .order_by(Pattern.raised_at.desc(), Pattern.id.desc())
            .limit(50)
        )
    )


def pattern_by_id(session: Session, pattern_id: object) -> Pattern | None:
    """A recorded pattern by its id (from a button's value), if any."""
    try:
        return session.get(Pattern, int(str(pattern_id)))
    except ValueError:
        return None


# ---- File one bug for all -------------------------------------------------------------------


def filing_tickets(session: Session, pattern_id: object) -> tuple[Pattern, list[Ticket]]:
    """A pattern and its tickets still known, oldest first; UserError when there are none."""
    pattern = pattern_by_id(session, pattern_id)
    if pattern is None:
        raise UserError("That pattern is no longer known here.")
    ids = [int(i) for i in pattern.ticket_ids or []]
    found = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    tickets = [found[i] for i in ids if i in found]
    if not tickets:
        raise UserError("The tickets of that pattern are no longer known here.")
    return pattern, tickets


def filing_draft(pattern: Pattern, tickets: Sequence[Ticket]) -> tuple[str, str]:
    """The summary and description the File bug modal starts with: the tickets' subjects."""
    summary = f"{len(tickets)} support tickets: {pattern.kind} {pattern.value}"
    lines = [f"- {records.ticket_label(t)}: {t.subject or '(no subject)'}" for t in tickets]
    description = "Support tickets of this pattern (last 24 hours):\n" + "\n".join(lines)
    return summary[: filing.SUMMARY_LIMIT], description[:DESCRIPTION_LIMIT]


def file_for_all(
    session: Session,
    *,
    pattern_id: object,
    form: filing.Filing,
    user_id: str,
    request_id: str,
    now: datetime,
) -> dict[str, str]:
    """Queue one Jira bug for every ticket of a pattern; {block id: message} to show instead."""
    if not linking.may_file_or_link(session, user_id):
        return {F.SUMMARY: "Only full members of this workspace can file bugs."}
    try:
        _, tickets = filing_tickets(session, pattern_id)
    except UserError as err:
        return {F.SUMMARY: err.message}
    errors = filing.validate_filing(form, filing.read_meta(session))
    if errors:
        return errors
    first, rest = tickets[0], tickets[1:]
    channel, thread_ts = records.thread_of(session, first)
    records.request_filing(
        session,
        ticket=first,
        filing=form,
        form=asdict(form),
        user_id=user_id,
        channel=channel,
        thread_ts=thread_ts,
        request_id=request_id,
        now=now,
        also=rest,
    )
    return {}
