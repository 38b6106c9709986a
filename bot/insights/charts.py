"""The support chart of the weekly digest and `/support stats`: what it shows, its alt text,
and queuing its upload.

The chart is a JSON spec (tickets per week for the top tags over eight weeks, SLA attainment,
shifts staffed and no-shows per team); `integrations.charts` draws it when the dispatcher
uploads it, off the request path. The upload is an outbox row with its own unique key (one per
digest or per `/support stats` request), so it is made once and retried until it lands, and a
failed upload never touches the text message posted before it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select, true
from sqlalchemy.orm import Session

from bot import outbox
from bot.insights import stats
from bot.insights.patterns import json_values
from bot.render.blocks import cut
from bot.tickets.models import Ticket

WEEKS = 8
TOP = 4
TEAMS = 8
WEEK_SECONDS = 7 * 86400
ALT_LIMIT = 1000  # files.getUploadURLExternal's alt_txt


def _week_of(session: Session, start: datetime) -> Any:
    """SQL: the number of whole weeks between `start` and a ticket's first sight."""
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Ticket.first_seen_at - start)
        return cast(func.floor(seconds / WEEK_SECONDS), Integer)
    days = func.julianday(Ticket.first_seen_at) - func.julianday(start)
    return cast(days / 7, Integer)  # never negative here: truncation is floor


def weekly_tags(
    session: Session, until: datetime, *, weeks: int = WEEKS, top: int = TOP
) -> tuple[list[datetime], list[int], dict[str, list[int]]]:
    """Week starts, tickets per week, and tickets per week of the `top` tags of those weeks:
    two aggregate queries over the tickets first seen in the `weeks` weeks before `until`."""
    start = until - timedelta(weeks=weeks)
    starts = [start + timedelta(weeks=i) for i in range(weeks)]
    week = _week_of(session, start)
    seen = (Ticket.first_seen_at >= start, Ticket.first_seen_at < until)
    totals = [0] * weeks
    for index, count in session.execute(select(week, func.count()).where(*seen).group_by(week)):
        if 0 <= int(index) < weeks:
            totals[int(index)] += int(count)
    each, arrays = json_values(session, Ticket.tags)
    rows = session.execute(
        select(each.c.value, week, func.count())
        .select_from(Ticket)
        .join(each, true())
        .where(*seen, arrays)
        .group_by(each.c.value, week)
    ).all()
    by_tag: dict[str, list[int]] = {}
    for tag, index, count in rows:
        if tag and 0 <= int(index) < weeks:
            by_tag.setdefault(str(tag), [0] * weeks)[int(index)] += int(count)
    ranked = sorted(by_tag.items(), key=lambda item: (-sum(item[1]), item[0]))[:top]
    return starts, totals, dict(ranked)


def spec(session: Session, figures: stats.Stats, title: str) -> dict[str, Any]:
    """The chart of a period's figures: eight weeks of tickets up to its end, its SLA, shifts."""
    starts, totals, series = weekly_tags(session, figures.until)
    return {
        "title": title,
        "weeks": [f"{s.day} {s:%b}" for s in starts],
        "total": totals,
        "series": [{"name": tag, "counts": counts} for tag, counts in series.items()],
        "sla": {
            "response": figures.attainment.response_rate,
            "resolve": figures.attainment.resolve_rate,
        },
        "teams": [
            {"team": t.team, "staffed": t.staffed, "no_shows": t.no_shows}
            for t in figures.teams[:TEAMS]
        ],
    }


def title(until: datetime) -> str:
    """`Support, 8 weeks to 9 Mar 2026`."""
    return f"Support, {WEEKS} weeks to {until.day} {until:%b %Y}"


def has_data(chart: dict[str, Any]) -> bool:
    """Whether the chart would show anything (else a line of text says so instead)."""
    sla = chart.get("sla") or {}
    return (
        any(chart.get("total") or [])
        or any(v is not None for v in sla.values())
        or bool(chart.get("teams"))
    )


def _percent(rate: float | None) -> str:
    return "no outcome yet" if rate is None else f"{round(100 * rate)}%"


def alt_text(chart: dict[str, Any]) -> str:
    """What the chart shows, in words, for people who cannot see it (at most 1,000 chars)."""
    weeks, totals = chart.get("weeks") or [], chart.get("total") or []
    parts = []
    if totals:
        parts.append(
            f"Tickets per week over {len(totals)} weeks from {weeks[0]}: "
            + ", ".join(str(n) for n in totals)
            + f" (last week {totals[-1]})."
        )
    tags = [f"{s['name']} {s['counts'][0]} to {s['counts'][-1]}" for s in chart.get("series") or []]
    if tags:
        parts.append("Top tags, first week to last: " + ", ".join(tags) + ".")
    sla = chart.get("sla") or {}
    parts.append(
        f"SLA attainment: first response {_percent(sla.get('response'))}, "
        f"resolution {_percent(sla.get('resolve'))}."
    )
    teams = [f"{t['team']} {t['staffed']} staffed, {t['no_shows']} no-shows"
             for t in chart.get("teams") or []]  # fmt: skip
    parts.append("Shifts: " + ("; ".join(teams) if teams else "none") + ".")
    return cut(" ".join(parts), ALT_LIMIT)


def enqueue(
    session: Session,
    chart: dict[str, Any],
    *,
    key: str,
    channel: str,
    filename: str,
    now: datetime,
    thread_key: str | None = None,
) -> bool:
    """Queue the chart's upload to `channel` (a user id means their DM); False if queued."""
    return outbox.enqueue_upload(
        session,
        key=key,
        channel=channel,
        filename=filename,
        title=str(chart.get("title") or "Support chart"),
        alt_text=alt_text(chart),
        chart=chart,
        now=now,
        thread_key=thread_key,
    )
