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

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from bot import outbox
from bot.insights import stats
from bot.render.blocks import cut
from bot.tickets.models import Ticket

WEEKS = 8
TOP = 4
TEAMS = 8
ALT_LIMIT = 1000  # files.getUploadURLExternal's alt_txt


def weekly_tags(
    session: Session, until: datetime, *, weeks: int = WEEKS, top: int = TOP
) -> tuple[list[datetime], list[int], dict[str, list[int]]]:
    """Week starts, tickets per week, and tickets per week of the `top` tags of those weeks."""
    starts = [until - timedelta(weeks=weeks - i) for i in range(weeks)]
    tags = [name for name, _ in stats.top_tags(session, starts[0], until, limit=top)]
    totals = [stats.volume(session, start, start + timedelta(weeks=1)) for start in starts]
    series: dict[str, list[int]] = {tag: [0] * weeks for tag in tags}
    if tags:
        each, arrays = _tag_values(session)
        for index, start in enumerate(starts):
            rows = session.execute(
                select(each.c.value, func.count())
                .select_from(Ticket)
                .join(each, true())
                .where(
                    Ticket.first_seen_at >= start,
                    Ticket.first_seen_at < start + timedelta(weeks=1),
                    arrays,
                    each.c.value.in_(tags),
                )
                .group_by(each.c.value)
            ).all()
            for tag, count in rows:
                series[str(tag)][index] = int(count)
    return starts, totals, series


def _tag_values(session: Session) -> tuple[Any, Any]:
    if session.get_bind().dialect.name == "postgresql":
        each = func.jsonb_array_elements_text(Ticket.tags).table_valued("value")
        return each, func.jsonb_typeof(Ticket.tags) == "array"
    return func.json_each(Ticket.tags).table_valued("value"), true()


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
