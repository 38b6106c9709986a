"""Support-load figures on a seeded database: volume and trend, response times, SLA, tags,
bugs filed and closed, and shift attendance per team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.bugs.models import Bug, BugLink, BugTransition
from bot.db import transaction
from bot.insights import stats
from bot.models import SlackUserGroup
from bot.rotations.models import Rotation, RotationMember, Shift, ShiftAssignment
from bot.tickets.models import Ticket

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # a Monday
WEEK = timedelta(days=7)
SINCE = NOW - WEEK
HOUR = timedelta(hours=1)


def ticket(
    session: Session,
    number: int,
    seen: datetime,
    *,
    opened: datetime | None | str = "before",
    response_after: timedelta | None = None,
    solved_after: timedelta | None = None,
    resolve_within: timedelta = timedelta(hours=48),
    tags: list[str] | None = None,
) -> Ticket:
    """A mirrored ticket; times are measured from its opening (30 minutes before first sight)."""
    opened_at = seen - timedelta(minutes=30) if opened == "before" else opened
    start = opened_at if isinstance(opened_at, datetime) else seen
    row = Ticket(
        provider="zendesk",
        external_id=str(number),
        subject=f"Ticket {number}",
        status="solved" if solved_after else "open",
        priority="normal",
        tags=tags or [],
        opened_at=opened_at,
        channel_id="C0SUPPORT",
        routed_channel_id="C0SUPPORT",
        root_key=f"ticket:zendesk:{number}:root",
        first_seen_at=seen,
        first_response_at=start + response_after if response_after else None,
        solved_at=start + solved_after if solved_after else None,
        response_risk_at=start + 6 * HOUR,
        response_due_at=start + 8 * HOUR,
        resolve_risk_at=start + resolve_within * 0.75,
        resolve_due_at=start + resolve_within,
    )
    session.add(row)
    session.flush()
    return row


def seed_tickets(session: Session) -> list[Ticket]:
    """Ten answered tickets (1..10 hours), two unanswered, eight the week before, and strays."""
    answered = []
    for i in range(10):
        seen = NOW - 30 * HOUR + i * timedelta(minutes=5)
        tags = ["billing"] if i < 5 else ["login"] if i < 8 else []
        if i % 2 == 0:
            tags.append("vip")
        answered.append(
            ticket(
                session,
                100 + i,
                seen,
                opened=None if i == 3 else "before",  # measured from first sight instead
                response_after=(i + 1) * HOUR,
                tags=tags,
                solved_after=10 * HOUR if i == 0 else 6 * HOUR if i == 1 else None,
                resolve_within=4 * HOUR if i == 1 else timedelta(hours=48),
            )
        )
    ticket(session, 200, SINCE, tags=["billing"])  # first instant of the week: both targets missed
    ticket(session, 201, NOW - HOUR)  # unanswered, not due yet: does not count for SLA
    ticket(session, 202, NOW, tags=["billing"])  # the period's end is excluded
    for i in range(8):  # the week before
        ticket(
            session, 300 + i, SINCE - timedelta(days=3, hours=i), response_after=HOUR, tags=["old"]
        )
    ticket(session, 400, SINCE - 2 * WEEK, response_after=HOUR)
    return answered


def test_volume_and_trend_against_the_period_before(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        seed_tickets(session)
        figures = stats.summary(session, SINCE, NOW)
    assert figures.tickets == 12
    assert figures.previous_tickets == 8
    assert figures.trend == pytest.approx(0.5)


def test_first_response_median_and_p90(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        seed_tickets(session)
        times = stats.response_times(session, SINCE, NOW)
    assert times.count == 10
    assert times.median == pytest.approx(5.5 * 3600, abs=0.05)
    assert times.p90 == pytest.approx(9.1 * 3600, abs=0.05)


def test_response_times_of_an_empty_period_are_none(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        times = stats.response_times(session, SINCE, NOW)
    assert (times.count, times.median, times.p90) == (0, None, None)


def test_percentile_interpolates_between_ranks() -> None:
    assert stats.percentile([], 0.5) is None
    assert stats.percentile([7.0], 0.9) == 7.0
    assert stats.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert stats.percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


def test_sla_attainment_counts_targets_met_or_missed(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        seed_tickets(session)
        met = stats.summary(session, SINCE, NOW).attainment
    # First response: 1..8 hours meet the 8-hour target, 9 and 10 miss it, and the ticket
    # unanswered since the week began is overdue; the one seen an hour ago is not due yet.
    assert (met.response_met, met.response_total) == (8, 11)
    # Resolution: solved in 10h of 48h (met), in 6h of 4h (missed), and overdue unsolved.
    assert (met.resolve_met, met.resolve_total) == (1, 3)
    assert met.response_rate == pytest.approx(8 / 11)


def test_most_common_tags_of_the_period(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        seed_tickets(session)
        tags = stats.top_tags(session, SINCE, NOW, limit=3)
        everything = stats.top_tags(session, SINCE, NOW, limit=10)
    assert tags == [("billing", 6), ("vip", 5), ("login", 3)]
    assert "old" not in dict(everything)


def _bug(session: Session, key: str) -> Bug:
    row = Bug(
        key=key, summary=key, fix_versions=[], components=[], created_at=SINCE, updated_at=SINCE
    )
    session.add(row)
    session.flush()
    return row


def _link(session: Session, bug: Bug, t: Ticket, how: str, at: datetime) -> None:
    session.add(BugLink(bug_id=bug.id, ticket_id=t.id, how=how, linked_by="U0AGENT", linked_at=at))


def _transition(session: Session, bug: Bug, kind: str, at: datetime) -> None:
    session.add(
        BugTransition(
            bug_id=bug.id,
            kind=kind,
            changed_at=at,
            to_category="done" if kind == "closed" else "indeterminate",
            fix_versions=[],
            source="poll",
            observed_at=at,
        )
    )


def test_bugs_filed_and_closed_in_the_period(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        tickets = seed_tickets(session)
        filed, old, linked = _bug(session, "SUP-1"), _bug(session, "SUP-2"), _bug(session, "SUP-3")
        _link(session, filed, tickets[0], "filed", NOW - 2 * HOUR)
        _link(session, filed, tickets[1], "filed", NOW - HOUR)  # the same bug: counted once
        _link(session, old, tickets[2], "filed", SINCE - HOUR)  # filed the week before
        _link(session, linked, tickets[3], "linked", NOW - HOUR)  # linked, not filed
        _transition(session, filed, "closed", NOW - HOUR)
        _transition(session, old, "closed", SINCE + HOUR)
        _transition(session, old, "reopened", SINCE + 2 * HOUR)
        _transition(session, old, "closed", SINCE + 3 * HOUR)  # closed twice: one bug
        _transition(session, linked, "closed", SINCE - HOUR)  # before the period
        figures = stats.summary(session, SINCE, NOW)
    assert figures.bugs_filed == 1
    assert figures.bugs_closed == 2


def _seat(
    session: Session,
    rotation: Rotation,
    user: str,
    state: str,
    closes: datetime,
    *,
    absent: str | None = None,
    late: bool = False,
) -> None:
    shift = Shift(
        rotation_id=rotation.id,
        key=f"{rotation.id}:{user}:{closes.isoformat()}",
        starts_at=closes - HOUR,
        ends_at=closes + HOUR,
        created_at=SINCE,
    )
    session.add(shift)
    session.flush()
    session.add(
        ShiftAssignment(
            shift_id=shift.id,
            rotation_id=rotation.id,
            user_id=user,
            state=state,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            window_opens_at=closes - HOUR,
            window_closes_at=closes,
            absent_user_id=absent,
            late_at=closes if late else None,
        )
    )


def seed_attendance(session: Session) -> None:
    """Backend: checked in, no-show, late; frontend: checked in, covered; one individual."""
    common: dict[str, Any] = {"created_by": "U0LEAD", "created_at": SINCE, "updated_at": SINCE}
    rotation = Rotation(
        name="chat-support",
        channel="C0ROT",
        timezone="UTC",
        pattern={},
        reminder_lead_minutes=[],
        leads=[],
        teams=[],
        users=[],
        holidays=[],
        fixed_shifts=[],
        **common,
    )
    session.add(rotation)
    session.add_all(
        [
            SlackUserGroup(id="S0BACK", handle="backend-eng", updated_at=SINCE),
            SlackUserGroup(id="S0FRONT", handle="frontend", updated_at=SINCE),
        ]
    )
    session.flush()
    for user, team in (("U0B1", "S0BACK"), ("U0B2", "S0BACK"), ("U0F1", "S0FRONT"), ("U0I1", "")):
        session.add(
            RotationMember(rotation_id=rotation.id, user_id=user, team_id=team, joined_at=SINCE)
        )
    day = timedelta(days=1)
    _seat(session, rotation, "U0B1", "checked_in", SINCE + day)
    _seat(session, rotation, "U0B2", "no_show", SINCE + 2 * day)
    _seat(session, rotation, "U0B1", "late", SINCE + 3 * day, late=True)
    _seat(session, rotation, "U0F1", "checked_in", SINCE + day)
    # U0B2 covered for U0F1: the no-show is the frontend's.
    _seat(session, rotation, "U0B2", "covered", SINCE + 4 * day, absent="U0F1")
    _seat(session, rotation, "U0I1", "checked_in", SINCE + 5 * day)
    _seat(session, rotation, "U0B1", "no_show", SINCE - day)  # before the period


def test_shifts_staffed_and_no_shows_per_team(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        seed_attendance(session)
        teams = stats.team_attendance(session, SINCE, NOW)
    shown = [(t.team, t.shifts, t.staffed, t.no_shows, t.late) for t in teams]
    assert shown == [
        ("@backend-eng", 3, 2, 1, 1),
        ("@frontend", 2, 1, 1, 0),
        ("(individuals)", 1, 1, 0, 0),
    ]


def test_the_stats_answer_shows_every_figure(factory: sessionmaker[Session]) -> None:
    from bot.insights.render.reports import stats_answer

    with transaction(factory) as session:
        seed_tickets(session)
        seed_attendance(session)
        text, blocks = stats_answer(stats.summary(session, SINCE, NOW), "Europe/Berlin")
    shown = text + str(blocks)
    for expected in ("12", "+50%", "5h 30m", "9h 6m", "73%", "billing", "@backend-eng", "7 days"):
        assert expected in shown, expected
