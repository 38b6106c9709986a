"""Rotation sweeps: reminders at each lead time, missed ticks, replicas, no-shows, offers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from races import together
from rotation_helpers import (
    BACKEND,
    FRONTEND,
    MONDAY,
    cache_workspace,
    chat_support,
    create_rotation,
    seats,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import people
from bot.db import transaction
from bot.errors import UserError
from bot.models import OutboxMessage
from bot.render.times import slack_span
from bot.rotations import attendance, ooo
from bot.rotations import offers as shift_offers
from bot.rotations.models import ShiftAssignment, ShiftEvent, ShiftOffer
from scheduling.sweeps import rotation_directory
from scheduling.sweeps import rotations as sweeps

Factory = sessionmaker[Session]
# What a tick and an acceptance write: racers wait on these until all of them have read.
SWEPT = ("shifts", "shift_assignments", "shift_offers", "shift_events", "outbox_messages")


@pytest.fixture
def rotation_id(factory: Factory) -> int:
    """chat-support (Mon/Wed/Fri 14:00 Berlin = 13:00 UTC), created Monday 08:00 UTC."""
    with transaction(factory) as session:
        cache_workspace(session, MONDAY)
    return create_rotation(factory, MONDAY)


def _tick(factory: Factory, now: datetime) -> dict[str, int]:
    with transaction(factory) as session:
        return sweeps.tick(session, now, default_leads=["U0LEAD"])


def _outbox(factory: Factory, prefix: str = "") -> list[OutboxMessage]:
    with transaction(factory) as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.key.startswith(prefix))
                .order_by(OutboxMessage.id)
            )
        )


def _events(factory: Factory, kind: str) -> list[ShiftEvent]:
    with transaction(factory) as session:
        return list(session.scalars(select(ShiftEvent).where(ShiftEvent.kind == kind)))


def _wednesday(factory: Factory, rotation_id: int) -> Any:
    seat = seats(factory, rotation_id)[1]
    assert seat.starts_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    return seat


def test_reminders_go_out_at_each_lead_time(factory: Factory, rotation_id: int) -> None:
    seat = _wednesday(factory, rotation_id)
    prefix = f"shift:{seat.shift_id}:reminder"
    _tick(factory, seat.starts_at - timedelta(hours=24, seconds=1))
    assert _outbox(factory, prefix) == []
    _tick(factory, seat.starts_at - timedelta(hours=24))
    [day_before] = _outbox(factory, prefix)
    assert day_before.key == f"{prefix}:1440:{seat.user_id}" and day_before.channel == seat.user_id
    assert "starts in 24 hours" in day_before.payload["text"]
    assert "shift_checkin" not in str(day_before.payload["blocks"])  # window not open yet
    _tick(factory, seat.starts_at - timedelta(minutes=15))
    soon = _outbox(factory, prefix)[-1]
    assert soon.key == f"{prefix}:15:{seat.user_id}"
    assert "shift_checkin" in str(soon.payload["blocks"]) and "shift_cant_make_it" in str(
        soon.payload["blocks"]
    )


def test_reminders_show_the_shift_in_the_holders_time_zone_and_the_rotations(
    factory: Factory, rotation_id: int
) -> None:
    frontend = next(s for s in seats(factory, rotation_id) if s.user_id in FRONTEND)
    _tick(factory, frontend.starts_at - timedelta(hours=24))
    [reminder] = _outbox(factory, f"shift:{frontend.shift_id}:reminder")
    shown = str(reminder.payload["blocks"])
    # Each reader's Slack shows the shift in their own zone; the fallback is the holder's.
    assert slack_span(frontend.starts_at, frontend.ends_at, "America/New_York") in shown
    assert "|Wed 2 Dec 08:00>–<!date^" in shown and "|10:00 EST>" in shown
    assert "*Rotation time* (Europe/Berlin)\\n" in shown and "14:00–16:00 CET" in shown


def test_a_tick_run_twice_sends_each_message_once(factory: Factory, rotation_id: int) -> None:
    seat = _wednesday(factory, rotation_id)
    now = seat.starts_at - timedelta(hours=24)
    first, second = _tick(factory, now), _tick(factory, now)
    assert first["reminders"] >= 1 and second["reminders"] == 0
    assert len(_outbox(factory, f"shift:{seat.shift_id}:reminder")) == 1


def test_two_replicas_sweeping_at_once_send_each_message_once(
    factory: Factory, rotation_id: int
) -> None:
    """The race shows on PostgreSQL (every replica reads the due shift before any claims it);
    SQLite serialises the sweeps and shows only that each message goes once."""
    monday = seats(factory, rotation_id)[0]
    now = monday.window_closes_at  # the start post and the no-show are both due
    engine = factory.kw["bind"]
    results = together(engine, SWEPT, *(lambda: _tick(factory, now) for _ in range(3)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["no_shows"] for r in results) == 1
    assert sum(r["posted"] for r in results) == 1
    assert sum(r["skipped"] for r in results) == 2  # its 24 h and 15 min reminders, too late
    assert len(_events(factory, "reminder_skipped")) == 2
    assert len(_outbox(factory, f"shift:{monday.shift_id}:start")) == 1
    assert len(_outbox(factory, f"seat:{monday.id}:noshow:U0LEAD")) == 1
    assert len(_events(factory, "no_show")) == 1
    with transaction(factory) as session:
        assert len(session.scalars(select(ShiftOffer)).all()) == 1


def test_a_reminder_missed_while_down_is_sent_late_if_the_shift_has_not_started(
    factory: Factory, rotation_id: int
) -> None:
    seat = _wednesday(factory, rotation_id)
    _tick(factory, MONDAY)
    _tick(factory, seat.starts_at - timedelta(hours=2))  # down from Monday until Wednesday
    [late] = _outbox(factory, f"shift:{seat.shift_id}:reminder")
    assert late.key.endswith(f":1440:{seat.user_id}")
    assert "starts in 2 hours" in late.payload["text"]
    _tick(factory, seat.starts_at - timedelta(minutes=15))
    assert len(_outbox(factory, f"shift:{seat.shift_id}:reminder")) == 2


def test_when_several_reminders_fell_due_only_the_latest_is_sent(
    factory: Factory, rotation_id: int
) -> None:
    seat = _wednesday(factory, rotation_id)
    _tick(factory, seat.starts_at - timedelta(minutes=10))
    [sent] = _outbox(factory, f"shift:{seat.shift_id}:reminder")
    assert sent.key.endswith(f":15:{seat.user_id}")
    skipped = [e for e in _events(factory, "reminder_skipped") if e.shift_id == seat.shift_id]
    assert [(e.detail["lead_minutes"], e.detail["reason"]) for e in skipped] == [
        (1440, "superseded")
    ]


def test_reminders_missed_until_the_shift_started_are_recorded_as_skipped(
    factory: Factory, rotation_id: int
) -> None:
    seat = _wednesday(factory, rotation_id)
    _tick(factory, seat.starts_at + timedelta(minutes=5))
    assert _outbox(factory, f"shift:{seat.shift_id}:reminder") == []
    skipped = [e for e in _events(factory, "reminder_skipped") if e.shift_id == seat.shift_id]
    assert sorted(e.detail["lead_minutes"] for e in skipped) == [15, 1440]
    assert {e.detail["reason"] for e in skipped} == {"shift started"}
    assert len(_outbox(factory, f"shift:{seat.shift_id}:start")) == 1  # still useful


def test_a_start_post_missed_until_the_shift_ended_is_skipped(
    factory: Factory, rotation_id: int
) -> None:
    seat = _wednesday(factory, rotation_id)
    _tick(factory, seat.ends_at + timedelta(minutes=1))
    assert _outbox(factory, f"shift:{seat.shift_id}:start") == []
    assert [e.shift_id for e in _events(factory, "start_post_skipped")].count(seat.shift_id) == 1


def test_shift_times_follow_daylight_saving_in_the_rotation(factory: Factory) -> None:
    with transaction(factory) as session:
        cache_workspace(session, MONDAY)
    march = datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    rid = create_rotation(factory, march, chat_support(days=["mon"]))
    first, second = seats(factory, rid)[:2]
    assert (first.starts_at.hour, second.starts_at.hour) == (12, 12)  # 14:00 CEST
    assert first.next_notice_at == first.starts_at - timedelta(hours=24)
    late_march = [s for s in seats(factory, rid) if s.starts_at < datetime(2026, 3, 29, tzinfo=UTC)]
    assert late_march == []


def test_no_show_alerts_the_leads_once_and_asks_backups_in_turn(
    factory: Factory, rotation_id: int
) -> None:
    monday = seats(factory, rotation_id)[0]
    _tick(factory, monday.window_closes_at - timedelta(seconds=1))
    assert _events(factory, "no_show") == []
    _tick(factory, monday.window_closes_at)
    _tick(factory, monday.window_closes_at + timedelta(minutes=5))
    assert len(_outbox(factory, f"seat:{monday.id}:noshow:U0LEAD")) == 1
    assert (
        "did not check in" in _outbox(factory, f"seat:{monday.id}:noshow:holder")[0].payload["text"]
    )
    [first_ask] = _outbox(factory, "offer:")
    assert "Can you cover?" in first_ask.payload["text"]
    _tick(factory, monday.window_closes_at + timedelta(minutes=10))
    asks = _outbox(factory, "offer:")
    assert len(asks) == 2 and asks[0].channel != asks[1].channel
    assert monday.user_id not in {a.channel for a in asks}
    assert len(_outbox(factory, f"seat:{monday.id}:noshow:U0LEAD")) == 1


def _ask_two_backups(factory: Factory, rotation_id: int) -> tuple[Any, ShiftOffer]:
    monday = seats(factory, rotation_id)[0]
    _tick(factory, monday.window_closes_at)
    _tick(factory, monday.window_closes_at + timedelta(minutes=10))
    with transaction(factory) as session:
        offer = session.scalars(select(ShiftOffer)).one()
    assert len(offer.asked) == 2
    return monday, offer


def test_the_first_backup_to_accept_covers_and_the_leads_hear_it(
    factory: Factory, rotation_id: int
) -> None:
    monday, offer = _ask_two_backups(factory, rotation_id)
    backup = offer.asked[1]
    now = monday.window_closes_at + timedelta(minutes=12)
    with transaction(factory) as session:
        shift_offers.accept(session, offer.id, backup, now, default_leads=["U0LEAD"])
    covered = seats(factory, rotation_id)[0]
    assert (covered.state, covered.user_id, covered.absent_user_id) == (
        "covered",
        backup,
        monday.user_id,
    )
    assert "is covering" in _outbox(factory, f"offer:{offer.id}:covered:U0LEAD")[0].payload["text"]
    with transaction(factory) as session, pytest.raises(UserError, match="Too late"):
        shift_offers.accept(session, offer.id, offer.asked[0], now)


def test_two_backups_accepting_at_once_one_wins_and_the_other_is_told(
    factory: Factory, rotation_id: int
) -> None:
    """The race shows on PostgreSQL (both read the open offer before either closes it);
    SQLite serialises the two and shows only who is told what."""
    monday, offer = _ask_two_backups(factory, rotation_id)
    now = monday.window_closes_at + timedelta(minutes=12)

    def accept(user: str) -> Callable[[], Any]:
        def run() -> Any:
            with transaction(factory) as session:
                return shift_offers.accept(session, offer.id, user, now).user_id

        return run

    engine = factory.kw["bind"]
    results = together(engine, SWEPT, accept(offer.asked[0]), accept(offer.asked[1]))
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, UserError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert f"<@{winners[0]}> already took that shift" in losers[0].message
    held = seats(factory, rotation_id)[0]
    assert held.user_id == winners[0] and held.version == monday.version + 1
    assert len(_events(factory, "covered")) == 1


def test_a_late_check_in_after_a_no_show_is_recorded_and_calls_off_cover(
    factory: Factory, rotation_id: int
) -> None:
    monday = seats(factory, rotation_id)[0]
    _tick(factory, monday.window_closes_at)
    with transaction(factory) as session:
        text = attendance.check_in(
            session,
            monday.user_id,
            monday.window_closes_at + timedelta(minutes=3),
            default_leads=["U0LEAD"],
        )
    assert "late" in text
    seat = seats(factory, rotation_id)[0]
    assert (seat.state, seat.user_id) == ("late", monday.user_id) and seat.late_at is not None
    with transaction(factory) as session:
        assert session.scalars(select(ShiftOffer)).one().status == "cancelled"
    assert "checked in late" in _outbox(factory, f"seat:{monday.id}:late:")[0].payload["text"]
    assert _outbox(factory, "offer:1:closed:")  # the backup's ask loses its button
    assert len(_events(factory, "late_checkin")) == 1


def test_check_in_is_only_possible_inside_the_window(factory: Factory, rotation_id: int) -> None:
    monday = seats(factory, rotation_id)[0]
    with transaction(factory) as session, pytest.raises(UserError, match="opens at"):
        attendance.check_in(session, monday.user_id, monday.window_opens_at - timedelta(minutes=1))
    with transaction(factory) as session:
        assert "Checked in" in attendance.check_in(session, monday.user_id, monday.window_opens_at)
    with transaction(factory) as session, pytest.raises(UserError, match="already checked in"):
        attendance.check_in(session, monday.user_id, monday.starts_at)
    _tick(factory, monday.window_closes_at)
    assert seats(factory, rotation_id)[0].state == "checked_in" and not _events(factory, "no_show")


def test_an_unanswered_swap_alerts_the_leads_at_the_deadline(
    factory: Factory, rotation_id: int
) -> None:
    seat = _wednesday(factory, rotation_id)
    with transaction(factory) as session:
        text = attendance.start_swap(session, seat.user_id, MONDAY, ref=str(seat.shift_id))
    assert "Offered" in text
    asked = _outbox(factory, "offer:")
    assert len(asked) == len(BACKEND) + len(FRONTEND) - 1
    deadline = seat.starts_at - timedelta(minutes=120)
    _tick(factory, deadline - timedelta(seconds=1))
    assert _outbox(factory, "offer:1:unanswered") == []
    _tick(factory, deadline)
    _tick(factory, deadline + timedelta(minutes=1))
    assert len(_outbox(factory, "offer:1:unanswered:U0LEAD")) == 1
    _tick(factory, seat.starts_at)
    assert "still yours" in _outbox(factory, "offer:1:expired")[0].payload["text"]


def test_swaps_are_offered_only_to_people_who_are_free(factory: Factory, rotation_id: int) -> None:
    seat = _wednesday(factory, rotation_id)
    others = [u for u in [*BACKEND, *FRONTEND] if u != seat.user_id]
    away, busy = others[0], others[1]
    with transaction(factory) as session:
        ooo.add(session, away, "2026-12-02", "2026-12-02", MONDAY, tz="Europe/Berlin")
    create_rotation(
        factory,
        MONDAY,
        chat_support(name="other", teams=[], users=[busy], start="14:30", days=["wed"]),
    )
    with transaction(factory) as session:
        attendance.start_swap(session, seat.user_id, MONDAY, seat_id=seat.id)
        offer = session.scalars(select(ShiftOffer)).one()
    assert away not in offer.asked and busy not in offer.asked and seat.user_id not in offer.asked
    assert len(offer.asked) == len(others) - 2


def test_someone_who_left_their_team_loses_their_future_shifts(
    factory: Factory, rotation_id: int
) -> None:
    leaver = seats(factory, rotation_id)[2].user_id
    team = "S0BACK" if leaver in BACKEND else "S0FRONT"
    members = [u for u in (BACKEND if team == "S0BACK" else FRONTEND) if u != leaver]
    with transaction(factory) as session:
        people.replace_group(session, team, handle="t", name="t", members=members, now=MONDAY)
        result = rotation_directory.sync_all(session, MONDAY, default_leads=["U0LEAD"])
    assert result == {"joined": 0, "left": 1}
    future = [s for s in seats(factory, rotation_id) if s.starts_at > MONDAY]
    assert leaver not in {s.user_id for s in future if s.state == "scheduled"}
    handed = _outbox(factory, "seat:")
    assert handed and all("no longer in the rotation" in m.payload["text"] for m in handed)


def test_a_newcomer_starts_level_with_the_others(factory: Factory, rotation_id: int) -> None:
    with transaction(factory) as session:
        people.record_user(session, {"id": "U0NEW", "name": "new", "tz": "UTC"}, MONDAY)
        people.replace_group(
            session,
            "S0FRONT",
            handle="frontend",
            name="F",
            members=[*FRONTEND, "U0NEW"],
            now=MONDAY,
        )
        assert rotation_directory.sync_all(session, MONDAY) == {"joined": 1, "left": 0}
        sweeps.plan(session, MONDAY, horizon=timedelta(weeks=10))
    later = [
        s.user_id for s in seats(factory, rotation_id) if s.starts_at > MONDAY + timedelta(weeks=4)
    ]
    assert 0 < later.count("U0NEW") <= later.count(next(iter(BACKEND))) + 1


def test_planning_twice_or_on_two_replicas_creates_each_shift_once(
    factory: Factory, rotation_id: int
) -> None:
    """The race shows on PostgreSQL (both replicas read the plan before either inserts);
    SQLite serialises the two and shows only that planning twice changes nothing."""
    horizon = MONDAY + timedelta(weeks=6)

    def plan() -> dict[str, int]:
        with transaction(factory) as session:
            return sweeps.plan(session, MONDAY + timedelta(hours=1), horizon=horizon - MONDAY)

    results = together(factory.kw["bind"], SWEPT, plan, plan)
    assert not [r for r in results if isinstance(r, Exception)], results
    plan()
    starts = [s.starts_at for s in seats(factory, rotation_id)]
    assert len(starts) == len(set(starts)) == 18  # six weeks of Mon/Wed/Fri


def test_a_seat_nobody_can_take_is_reported_and_filled_once_someone_is_free(
    factory: Factory,
) -> None:
    with transaction(factory) as session:
        cache_workspace(session, MONDAY)
        away = ooo.add(session, "U0FE1", "2026-11-30", "2026-12-06", MONDAY, tz="UTC")
    rid = create_rotation(factory, MONDAY, chat_support(teams=[], users=["U0FE1"]))
    first = seats(factory, rid)[0]
    assert (first.state, first.user_id) == ("unfilled", "")
    assert (
        "Nobody is free"
        in _outbox(factory, f"shift:{first.shift_id}:unfilled:U0LEAD")[0].payload["text"]
    )
    with transaction(factory) as session:
        ooo.remove(session, "U0FE1", str(away.entry.id))
        sweeps.plan(session, MONDAY + timedelta(hours=1))
    assert seats(factory, rid)[0].user_id == "U0FE1"
    assert _outbox(factory, f"seat:{first.id}:v1:assigned")


def test_the_rotation_jobs_run_every_tick_and_hourly(factory: Factory) -> None:
    from bot.settings import Settings
    from integrations.clients import Clients
    from integrations.slack_delivery import make_web_client
    from scheduling.jobs import build_jobs

    settings = Settings(_env_file=None, database_url="sqlite://", support_leads="U0LEAD")
    jobs = {
        j.name: j
        for j in build_jobs(
            factory, Clients(slack=make_web_client("xoxb-x", "http://127.0.0.1:9/api/")), settings
        )
    }
    assert jobs["rotations"].seconds is None  # SCHEDULER_TICK_SECONDS
    assert jobs["rotation_plan"].seconds == jobs["rotation_teams"].seconds == 3600
    assert jobs["rotations"].run(MONDAY) == {
        "reminders": 0,
        "skipped": 0,
        "posted": 0,
        "no_shows": 0,
        "expired": 0,
        "asked": 0,
        "alerted": 0,
    }


def test_a_seat_is_offered_once_per_holder_and_kind(factory: Factory, rotation_id: int) -> None:
    seat = _wednesday(factory, rotation_id)
    with transaction(factory) as session:
        held = session.get(ShiftAssignment, seat.id)
        assert held is not None
        first = shift_offers.open_offer(session, held, "swap", MONDAY, actor=held.user_id)
        again = shift_offers.open_offer(session, held, "swap", MONDAY, actor=held.user_id)
    assert first is not None and again is None
    assert len(_events(factory, "swap_offered")) == 1
