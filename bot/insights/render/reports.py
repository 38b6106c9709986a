"""`/support stats`, the weekly digest and its settings, as Block Kit (pure: data in, dict out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.bugs.render.load import bug_line
from bot.insights.stats import EngineerResponse, ResponseTimes, Stats, TeamAttendance
from bot.render.blocks import (
    Block,
    Message,
    context,
    cut,
    divider,
    escape,
    fallback,
    fit_blocks,
    header,
    section,
)
from bot.render.times import day, duration, local, slack_day, slack_time, until
from bot.sla.targets import Attainment

if TYPE_CHECKING:
    from bot.insights.digest import Digest, DigestConfig
    from bot.insights.models import DigestRun

NO_CHART = "No chart: no tickets, SLA outcomes or shifts to draw in this period."
MAX_TEAMS = 15
SUMMARY = 90
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def percent(rate: float | None) -> str:
    """`92%`, or `–` when nothing counts yet."""
    return "–" if rate is None else f"{round(100 * rate)}%"


def period_name(length: timedelta) -> str:
    """`7 days`, `24 hours`, `4 weeks`."""
    hours = round(length.total_seconds() / 3600)
    if hours % 24:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    if days % 7 == 0 and days > 7:
        return f"{days // 7} weeks"
    return f"{days} day{'s' if days != 1 else ''}"


def _dates(since: datetime, end: datetime, tz: str) -> str:
    """`Mon 2 Mar – Sun 8 Mar` for [since, end)."""
    last = end - timedelta(seconds=1)
    if local(since, tz).date() == local(last, tz).date():
        return day(since, tz)
    return f"{day(since, tz)} – {day(last, tz)}"


def volume_line(figures: Stats) -> str:
    """`42 tickets (+14% on the 37 of the 7 days before)`."""
    shown = f"*{figures.tickets}* ticket{'s' if figures.tickets != 1 else ''}"
    before = period_name(figures.until - figures.since)
    trend = figures.trend
    if trend is None:
        return f"{shown} (none in the {before} before)"
    arrow = ":arrow_upper_right:" if trend > 0 else ":arrow_lower_right:" if trend < 0 else "="
    return f"{shown} {arrow} {trend:+.0%} on the {figures.previous_tickets} of the {before} before"


def response_line(times: ResponseTimes) -> str:
    """`median 1h 5m · p90 6h (38 answered)`."""
    if not times.count or times.median is None or times.p90 is None:
        return "no first responses yet"
    return (
        f"median *{duration(times.median)}* · p90 *{duration(times.p90)}* ({times.count} answered)"
    )


def attainment_line(met: Attainment) -> str:
    """`first response 92% (46 of 50) · resolution 80% (8 of 10)`."""
    return (
        f"first response *{percent(met.response_rate)}* "
        f"({met.response_met} of {met.response_total}) · "
        f"resolution *{percent(met.resolve_rate)}* ({met.resolve_met} of {met.resolve_total})"
    )


def tags_line(tags: Sequence[tuple[str, int]]) -> str:
    """`` `billing` 12 · `login` 7 ``, or a note that no tickets were tagged."""
    if not tags:
        return "_no tagged tickets_"
    return " · ".join(f"`{_code(name)}` {n}" for name, n in tags)


def _code(text: str) -> str:
    """User text for inside backticks: escaped, shortened, with no backtick to break out."""
    return escape(cut(text, 60)).replace("`", "'")


def _team_lines(teams: Sequence[TeamAttendance], *, no_shows_only: bool) -> list[str]:
    lines = []
    for t in teams:
        if no_shows_only and not t.no_shows:
            continue
        share = f"{round(100 * t.no_shows / t.shifts)}%" if t.shifts else "–"
        late = f", {t.late} late" if t.late else ""
        lines.append(
            f"• {escape(t.team)}: {t.shifts} shift{'s' if t.shifts != 1 else ''}, "
            f"{t.staffed} staffed, *{t.no_shows} no-show{'s' if t.no_shows != 1 else ''}* "
            f"({share}){late}"
        )
    if len(lines) > MAX_TEAMS:
        lines = [*lines[:MAX_TEAMS], f"_and {len(lines) - MAX_TEAMS} more teams_"]
    return lines


def engineer_lines(found: Sequence[EngineerResponse]) -> list[str]:
    """`• chat-support: median 4m · p90 12m (9 taken) · 1 waiting` per rotation."""
    lines = []
    for item in found[:MAX_TEAMS]:
        times = item.times
        shown = (
            f"median *{duration(times.median)}* · p90 *{duration(times.p90)}* ({times.count} taken)"
            if times.count and times.median is not None and times.p90 is not None
            else "none taken yet"
        )
        waiting = f" · {item.waiting} waiting" if item.waiting else ""
        lines.append(f"• {escape(item.rotation)}: {shown}{waiting}")
    return lines


def chart_note(chart: bool | None, where: str) -> list[Block]:
    """A line saying where the chart goes, or that there is nothing to draw (None: no line)."""
    if chart is None:
        return []
    if not chart:
        return [context(f":bar_chart: {NO_CHART}")]
    return [
        context(
            f":bar_chart: A chart follows {where}: tickets per week for the top tags over 8 "
            "weeks, SLA attainment, and shifts staffed and no-shows per team."
        )
    ]


def stats_answer(figures: Stats, tz: str, *, chart: bool | None = None) -> Message:
    """The `/support stats` answer: every figure of the period (and where its chart goes)."""
    length = period_name(figures.until - figures.since)
    teams = _team_lines(figures.teams, no_shows_only=False) or ["_no shifts ended_"]
    blocks = [
        header(f"Support stats: the last {length}"),
        context(f"{_dates(figures.since, figures.until, tz)} ({escape(tz)})"),
        section(
            f"*Tickets mirrored:* {volume_line(figures)}\n"
            f"*First response:* {response_line(figures.response)}\n"
            f"*SLA attainment:* {attainment_line(figures.attainment)}\n"
            f"*Bugs:* {figures.bugs_filed} filed · {figures.bugs_closed} closed\n"
            f"*Most common tags:* {tags_line(figures.tags)}"
        ),
        section("*Shifts staffed and no-shows by team*\n" + "\n".join(teams)),
        section(
            "*Time to first engineer response* (Ask an engineer, by rotation)\n"
            + "\n".join(engineer_lines(figures.engineers) or ["_no questions asked_"])
        ),
        context(
            "First-response times and SLA count tickets first seen in the period; an SLA "
            "target counts once it was met or missed. `/support help stats`"
        ),
        *chart_note(chart, "in your DM with the bot"),
    ]
    text = (
        f"Support stats, last {length}: {figures.tickets} tickets, first response median "
        f"{duration(figures.response.median) if figures.response.median is not None else '–'}, "
        f"SLA first response {percent(figures.attainment.response_rate)}"
    )
    return fallback(text), fit_blocks(blocks)


def digest_message(
    digest: Digest, tz: str, *, preview: bool = False, chart: bool | None = None
) -> Message:
    """The weekly digest: volume and trend, SLA, top bugs by load, tags, no-shows by team."""
    figures = digest.stats
    no_shows = _team_lines(figures.teams, no_shows_only=True) or ["_no no-shows_ :tada:"]
    ranked = [bug_line(b, i, figures.until) for i, b in enumerate(digest.bugs, start=1)]
    bugs = ranked or ["_no bugs linked to tickets_"]
    blocks = [
        header("Weekly support digest" + (" (preview)" if preview else "")),
        context(f"{_dates(figures.since, figures.until, tz)} ({escape(tz)})"),
        section(
            f"*Ticket volume:* {volume_line(figures)}\n"
            f"*SLA attainment:* {attainment_line(figures.attainment)}\n"
            f"*First response:* {response_line(figures.response)}"
        ),
        divider(),
        section("*Top bugs by support load*\n" + "\n".join(bugs)),
        section(f"*Most common tags:* {tags_line(figures.tags)}"),
        section("*No-shows by team*\n" + "\n".join(no_shows)),
        context("Leads can change when and where this goes with `/support digest`."),
        *chart_note(chart, "below"),
    ]
    text = (
        f"Weekly support digest: {figures.tickets} tickets, SLA first response "
        f"{percent(figures.attainment.response_rate)}, "
        f"resolution {percent(figures.attainment.resolve_rate)}"
    )
    return fallback(text), fit_blocks(blocks)


def schedule_line(config: DigestConfig) -> str:
    """`Mondays at 09:00 (Europe/Berlin) in #channel`."""
    where = f"<#{config.channel}>" if config.channel else "_no channel: set one_"
    return f"{DAY_NAMES[config.day]}s at {config.time} ({escape(config.timezone)}) in {where}"


def digest_settings(
    config: DigestConfig,
    next_at: datetime | None,
    now: datetime,
    runs: Sequence[DigestRun] = (),
    *,
    changed: bool = False,
) -> Message:
    """The digest schedule, whether it is on, and when the next one goes out."""
    state = "on" if config.enabled else "*off*"
    lines = [f"The weekly digest is {state}: {schedule_line(config)}."]
    if config.enabled and config.channel and next_at is not None:
        lines.append(
            f"Next one: {slack_time(next_at, tz=config.timezone)} ({until(next_at, now)}), "
            "covering the 7 days before."
        )
    for run in runs:
        what = "sent" if run.status == "sent" else f"skipped ({escape(run.detail or '')})"
        lines.append(f"• {slack_day(run.fire_at, config.timezone)}: {what}")
    if changed and config.channel:
        lines.append(f"_Make sure the bot is a member of <#{config.channel}>._")
    blocks = [
        section(("Saved. " if changed else "") + "\n".join(lines)),
        context(
            "`/support digest at mon 09:00` · `digest channel #channel` · `digest on|off` · "
            "`digest preview`"
        ),
    ]
    return fallback(("Saved. " if changed else "") + lines[0]), blocks
