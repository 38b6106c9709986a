"""The weekly digest: its settings, what it says, and posting each scheduled one exactly once.

The calendar (which moments are "digest time") is APScheduler's `CronTrigger`, built from
`DigestConfig.cron()` by the scheduling layer, which passes the latest scheduled time in as
`fire_at`. Whether a scheduled digest went out lives in the database: one `DigestRun` row per
`fire_at` (unique), inserted in the same transaction as the outbox row, so a sweep that runs
twice, late, or on two replicas posts once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.bugs import load
from bot.db import insert_if_absent
from bot.errors import UserError
from bot.insights import charts, stats
from bot.insights.models import DigestRun
from bot.insights.render import reports
from bot.models import AppState
from bot.render.times import WEEKDAYS, duration, parse_clock, parse_day
from bot.settings import Settings
from bot.tickets.routing import parse_channel

STATE = "digest"
WINDOW = timedelta(days=7)
# A digest found more than this late (the bot was down) is recorded as skipped, not posted.
STALE = timedelta(hours=24)
# At most one digest in this span, even when leads move the day or time after one went out.
MIN_GAP = timedelta(hours=24)
TOP_BUGS = 5
TOP_TAGS = 5


@dataclass(frozen=True)
class DigestConfig:
    """Where and when the weekly digest goes: a channel, a weekday and HH:MM in a time zone."""

    channel: str | None
    day: str
    time: str
    timezone: str
    enabled: bool = True

    def cron(self) -> dict[str, Any]:
        """The keyword arguments of APScheduler's `CronTrigger` for this schedule."""
        hour, minute = (int(part) for part in self.time.split(":"))
        return {"day_of_week": self.day, "hour": hour, "minute": minute, "timezone": self.timezone}


@dataclass(frozen=True)
class Digest:
    """One digest's content: the week's figures and the bugs holding up the most tickets."""

    stats: stats.Stats
    bugs: list[load.BugLoad]


def defaults(settings: Settings) -> DigestConfig:
    """The configured schedule: DIGEST_CHANNEL (else SUPPORT_CHANNEL), DIGEST_DAY, DIGEST_TIME."""
    return DigestConfig(
        channel=settings.digest_channel or settings.support_channel,
        day=settings.digest_day,
        time=settings.digest_time,
        timezone=settings.timezone,
    )


def current(session: Session, base: DigestConfig) -> DigestConfig:
    """The schedule in force: `base` with whatever leads changed in Slack."""
    row = session.get(AppState, STATE)
    if row is None:
        return base
    known = {"channel", "day", "time", "timezone", "enabled"}
    return replace(base, **{k: v for k, v in (row.value or {}).items() if k in known})


def change(
    session: Session, base: DigestConfig, changes: dict[str, Any], *, user_id: str, now: datetime
) -> DigestConfig:
    """Store a lead's changes (already parsed) over `base`; returns the schedule in force."""
    row = session.get(AppState, STATE)
    value = dict(row.value or {}) if row is not None else {}
    value.update(changes, updated_by=user_id)
    if row is None:
        session.add(AppState(name=STATE, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now  # a new dict, so the JSON change is saved
    session.flush()
    return current(session, base)


def parse_schedule(args: list[str]) -> dict[str, Any]:
    """`<mon..sun> <HH:MM> [<time zone>]` as changes to the schedule."""
    if len(args) not in (2, 3):
        raise UserError("say the day and the time, e.g. `digest at mon 09:00`")
    try:
        day = parse_day(args[0])
    except ValueError:
        raise UserError(
            f"`{args[0][:20]}` is not a day: use one of {', '.join(WEEKDAYS)}"
        ) from None
    try:
        clock = parse_clock(args[1])
    except ValueError:
        raise UserError(f"`{args[1][:20]}` is not a time: use 24-hour HH:MM, e.g. 09:00") from None
    changes: dict[str, Any] = {"day": day, "time": clock}
    if len(args) == 3:
        try:
            ZoneInfo(args[2])
        except (ZoneInfoNotFoundError, ValueError):
            raise UserError(
                f"`{args[2][:40]}` is not a time zone: use an IANA name like Europe/Berlin"
            ) from None
        changes["timezone"] = args[2]
    return changes


def parse_channel_change(args: list[str]) -> dict[str, Any]:
    """`<#channel>` (as Slack escapes it) or a bare channel id as a change of channel."""
    if len(args) != 1:
        raise UserError("say which channel, e.g. `digest channel #support-leads`")
    return {"channel": parse_channel(args[0])}


def compose(session: Session, until: datetime) -> Digest:
    """The digest of the 7 days before `until`."""
    figures = stats.summary(session, until - WINDOW, until, tags=TOP_TAGS)
    return Digest(figures, load.ranked(session, until, limit=TOP_BUGS))


def skip_reason(
    session: Session, now: datetime, fire_at: datetime, config: DigestConfig
) -> str | None:
    """Why the digest scheduled at `fire_at` should not be posted now, or None to post it."""
    if now - fire_at > STALE:
        return f"missed: {int((now - fire_at).total_seconds() // 3600)} hours late"
    if not config.channel:
        return "no channel: set DIGEST_CHANNEL or SUPPORT_CHANNEL"
    recent = session.scalar(
        select(DigestRun.fire_at)
        .where(DigestRun.status == "sent", DigestRun.fire_at > fire_at - MIN_GAP)
        .limit(1)
    )
    if recent is not None:
        gap = (fire_at - recent).total_seconds()
        return f"another digest went out {duration(abs(gap))} {'before' if gap >= 0 else 'after'}"
    return None


def due(
    session: Session, now: datetime, fire_at: datetime | None, config: DigestConfig
) -> dict[str, int]:
    """Post the digest scheduled at `fire_at` (the latest scheduled time <= now) once.

    Its `DigestRun` row is claimed with an insert on the unique `fire_at`; only the inserter
    posts. Too late (the bot was down), no channel, or right after another digest: the run is
    recorded as skipped instead.
    """
    done = {"sent": 0, "skipped": 0}
    if fire_at is None or not config.enabled:
        return done
    if session.scalar(select(DigestRun.id).where(DigestRun.fire_at == fire_at)) is not None:
        return done
    reason = skip_reason(session, now, fire_at, config)
    claimed = insert_if_absent(
        session,
        DigestRun,
        {
            "fire_at": fire_at,
            "channel_id": config.channel or "",
            "status": "skipped" if reason else "sent",
            "detail": reason,
            "created_at": now,
        },
        ["fire_at"],
    )
    if not claimed:
        return done
    if reason or not config.channel:
        done["skipped"] = 1
        return done
    content = compose(session, fire_at)
    chart = charts.spec(session, content.stats, charts.title(fire_at))
    drawn = charts.has_data(chart)
    outbox.enqueue_message(
        session,
        reports.digest_message(content, config.timezone, chart=drawn),
        key=f"digest:{fire_at.isoformat()}",
        channel=config.channel,
        now=now,
    )
    if drawn:  # after the text in the channel's queue: a failed upload leaves the text alone
        charts.enqueue(
            session,
            chart,
            key=f"digest:{fire_at.isoformat()}:chart",
            channel=config.channel,
            filename=f"support-digest-{fire_at:%Y%m%d-%H%M}.png",
            now=now,
        )
    done["sent"] = 1
    return done


def last_runs(session: Session, limit: int = 3) -> list[DigestRun]:
    """The most recent scheduled digests, newest first."""
    return list(session.scalars(select(DigestRun).order_by(DigestRun.fire_at.desc()).limit(limit)))
