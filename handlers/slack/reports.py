"""/support stats and /support digest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from slack_bolt import App

from bot.db import transaction
from bot.errors import UserError
from bot.insights import charts, digest, stats
from bot.insights.render import reports
from bot.rotations import roster
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand

Answer = tuple[str, list[dict[str, Any]]]
STATS_USAGE = "stats [<period>]"
STATS_DETAILS = (
    "Over the last 7 days unless you give a period such as `24h`, `30d`, `4w` or `3m`: "
    "tickets mirrored (and the trend against the period before), first-response time "
    "(median and p90, from the ticket's opening), SLA attainment of first response and "
    "resolution, shifts staffed and no-shows per team, bugs filed and closed, the most "
    "common tags, and per rotation the time until an engineer took a question asked with "
    "Ask an engineer (median and p90). A chart of the last 8 weeks' tickets by top tag, SLA "
    "attainment and shifts per team follows in your DM with the bot. "
    "Example: `/support stats 30d`."
)
DIGEST_USAGE = (
    "digest [show | at <mon..sun> <HH:MM> [<tz>] | channel <#channel> | on | off | preview]"
)
DIGEST_DETAILS = (
    "Every week the bot posts a digest of the 7 days before: ticket volume and trend, SLA "
    "attainment, the top bugs by support load, the most common tags and no-shows by team, "
    "then a chart of them. "
    "`digest` shows when and where the next one goes out; `digest at fri 16:00` moves it "
    "(in TIMEZONE unless you name one, e.g. `digest at mon 09:00 Europe/Berlin`); "
    "`digest channel #support-leads` picks the channel; `digest off` pauses it; "
    "`digest preview` shows you this week's digest now without posting it. "
    "Defaults come from DIGEST_CHANNEL, DIGEST_DAY and DIGEST_TIME."
)
DIGEST_ACTIONS = ("show", "at", "channel", "on", "off", "preview")


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add `/support stats` (everyone) and `/support digest` (leads)."""
    registry.add(
        Subcommand(
            "stats",
            STATS_USAGE,
            "ticket volume, response times, SLA, shifts and bugs over a period",
            lambda inv: _stats(deps, inv),
            details=STATS_DETAILS,
        )
    )
    registry.add(
        Subcommand(
            "digest",
            DIGEST_USAGE,
            "when and where the weekly digest goes, on or off, and a preview",
            lambda inv: _digest(deps, inv),
            leads_only=True,
            details=DIGEST_DETAILS,
        )
    )


def next_fire(config: digest.DigestConfig, now: datetime) -> datetime | None:
    """When the schedule next fires at or after `now` (APScheduler's calendar), in UTC."""
    moment = CronTrigger(**config.cron()).get_next_fire_time(None, now)
    return moment.astimezone(UTC) if moment is not None else None


def _stats(deps: Deps, inv: Invocation) -> Answer:
    if len(inv.args) > 1:
        raise UserError("give at most one period, e.g. `7d`, `4w` or `3m`")
    period = roster.parse_period(inv.args[0] if inv.args else "7d")
    now = deps.clock()
    with transaction(deps.factory) as session:
        figures = stats.summary(session, now - period, now)
        chart = charts.spec(session, figures, charts.title(now))
        drawn = charts.has_data(chart)
        if drawn:  # drawn and sent to their DM by the dispatcher, after this answer
            stamp = inv.trigger_id or f"{now.timestamp():.0f}"
            charts.enqueue(
                session,
                chart,
                key=f"stats:{inv.user_id}:{stamp}"[:255],
                channel=inv.user_id,
                filename=f"support-stats-{now:%Y%m%d-%H%M%S}.png",
                now=now,
            )
    if drawn:
        deps.wake_outbox()
    return reports.stats_answer(figures, deps.settings.timezone, chart=drawn)


def _digest(deps: Deps, inv: Invocation) -> Answer:
    action = inv.args[0].lower() if inv.args else "show"
    rest = inv.args[1:]
    if action not in DIGEST_ACTIONS:
        raise UserError(f"`{action[:20]}` is not a digest action")
    if action in ("show", "on", "off", "preview") and rest:
        raise UserError(f"`digest {action}` takes nothing more")
    base, now = digest.defaults(deps.settings), deps.clock()
    with transaction(deps.factory) as session:
        if action == "show":
            config = digest.current(session, base)
            runs = digest.last_runs(session)
            return reports.digest_settings(config, next_fire(config, now), now, runs)
        if action == "preview":
            config = digest.current(session, base)
            return reports.digest_message(
                digest.compose(session, now), config.timezone, preview=True
            )
        if action == "at":
            changes = digest.parse_schedule(rest)
        elif action == "channel":
            changes = digest.parse_channel_change(rest)
        else:
            changes = {"enabled": action == "on"}
        config = digest.change(session, base, changes, user_id=inv.user_id, now=now)
    return reports.digest_settings(config, next_fire(config, now), now, changed=True)
