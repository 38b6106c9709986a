"""Block Kit for service levels: the alert replies in ticket threads and `/support sla` answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.render.blocks import Block, context, escape, fallback, section
from bot.render.times import slack_time

METRIC_NAMES = {"first_response": "First response", "resolution": "Resolution"}
BREACHED = "breached"  # bot.sla.BREACHED (rendering stays free of the database layer)
USAGE_HINT = (
    "`/support sla set high first-response 2h resolution 1d at-risk 80` · `/support sla reset high`"
)


@dataclass(frozen=True)
class AlertLine:
    """One threshold a ticket reached: which target, how far (at risk, breached), when due."""

    metric: str
    level: str
    due_at: datetime


@dataclass(frozen=True)
class Who:
    """Whom an alert is for: Slack users, or an assignee known only by name, or nobody."""

    user_ids: Sequence[str] = field(default_factory=tuple)
    name: str | None = None
    on_shift: bool = False


@dataclass(frozen=True)
class PolicyRow:
    """A priority's targets as `/support sla` lists them; `set_by` is None for defaults."""

    priority: str
    first_response_minutes: int
    resolution_minutes: int
    at_risk_percent: int
    set_by: str | None = None
    set_at: datetime | None = None


def span(minutes: int) -> str:
    """`30 min`, `4 h`, `1 h 30 min`, `2 d`, `1 d 4 h` (exact to the minute)."""
    minutes = max(int(minutes), 0)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"


def _about(moment: datetime, now: datetime) -> str:
    """`in 55 min` or `2 h ago`, rounded to what a reader needs."""
    seconds = (moment - now).total_seconds()
    minutes = round(abs(seconds) / 60)
    if minutes >= 180:
        minutes = round(minutes / 60) * 60  # "in 5 h", not "in 4 h 57 min"
    shown = span(minutes)
    return f"in {shown}" if seconds > 0 else f"{shown} ago"


def _who(who: Who) -> str:
    if who.user_ids and not who.on_shift:
        return ", ".join(f"<@{u}>" for u in who.user_ids)
    if who.name:
        return f"assignee *{escape(who.name)}*"
    if who.user_ids:
        return "unassigned; on shift: " + ", ".join(f"<@{u}>" for u in who.user_ids)
    return "unassigned, and nobody is on shift"


def _line(alert: AlertLine, now: datetime, when: str) -> str:
    name = METRIC_NAMES.get(alert.metric, alert.metric)
    if alert.level == BREACHED:
        return (
            f":rotating_light: {name} target breached {_about(alert.due_at, now)} (was due {when})"
        )
    return f":warning: {name} at risk: due {when} ({_about(alert.due_at, now)})"


def alert_reply(alerts: Sequence[AlertLine], now: datetime, who: Who) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the thread reply announcing reached SLA thresholds."""
    mention = _who(who)
    shown = "\n".join(_line(a, now, slack_time(a.due_at)) for a in alerts) + f" — {mention}"
    return fallback(shown), [section(shown)]


def policy_table(rows: Sequence[PolicyRow]) -> tuple[str, list[Block]]:
    """The SLA targets per priority, marking which are defaults and which a lead set."""
    lines = []
    for row in rows:
        origin = (
            f"set by <@{row.set_by}>" + (f" {slack_time(row.set_at)}" if row.set_at else "")
            if row.set_by
            else "_default_"
        )
        lines.append(
            f"• *{escape(row.priority)}* — first response *{span(row.first_response_minutes)}*, "
            f"resolution *{span(row.resolution_minutes)}*, at risk after "
            f"{row.at_risk_percent}% · {origin}"
        )
    blocks = [
        section(
            "*SLA targets* (calendar time from when a ticket opens; tickets without a "
            "priority count as normal)\n" + "\n".join(lines)
        ),
        context(USAGE_HINT),
    ]
    summary = "; ".join(
        f"{escape(r.priority)}: {span(r.first_response_minutes)} / {span(r.resolution_minutes)}"
        for r in rows
    )
    return fallback(f"SLA targets (first response / resolution): {summary}"), blocks


def _targets(row: PolicyRow) -> str:
    return (
        f"first response *{span(row.first_response_minutes)}*, resolution "
        f"*{span(row.resolution_minutes)}*, at risk after {row.at_risk_percent}%"
    )


def _recomputed(count: int) -> str:
    return f"{count} open ticket{'' if count == 1 else 's'} of that priority updated."


def policy_set(row: PolicyRow, recomputed: int) -> tuple[str, list[Block]]:
    """Confirmation of new targets for a priority."""
    text = f":white_check_mark: SLA for *{escape(row.priority)}* tickets: {_targets(row)}."
    plain = (
        f"SLA for {escape(row.priority)} tickets: first response "
        f"{span(row.first_response_minutes)}, "
        f"resolution {span(row.resolution_minutes)}"
    )
    return fallback(plain), [section(text), context(_recomputed(recomputed))]


def policy_reset(row: PolicyRow, recomputed: int, *, was_set: bool) -> tuple[str, list[Block]]:
    """Confirmation that a priority is back on the default targets."""
    head = "back to the default" if was_set else "already the default"
    text = (
        f":leftwards_arrow_with_hook: SLA for *{escape(row.priority)}* tickets is {head}: "
        f"{_targets(row)}."
    )
    return fallback(f"SLA for {escape(row.priority)} tickets is {head}"), [
        section(text),
        context(_recomputed(recomputed)),
    ]
