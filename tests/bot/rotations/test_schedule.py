"""Pure scheduling: occurrences across daylight-saving changes, and fair, deterministic seats."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rotations.schedule import (
    Ledger,
    Member,
    Pattern,
    assign,
    check_rrule,
    occurrences,
    pick,
    shortest_gap,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def weekly(
    days: tuple[int, ...], start: time, minutes: int, anchor: date, every: int = 1
) -> Pattern:
    return Pattern(timedelta(minutes=minutes), anchor, days, start, every)


def test_berlin_shift_keeps_its_wall_clock_time_across_spring_forward() -> None:
    pattern = weekly((0, 2, 4), time(14, 0), 120, date(2026, 3, 23))
    found = occurrences(pattern, BERLIN, utc(2026, 3, 23), utc(2026, 4, 4))
    assert [o.local_start.hour for o in found] == [14] * 6
    # CET (UTC+1) until Sunday 29 March, CEST (UTC+2) after it.
    assert [o.starts_at.hour for o in found] == [13, 13, 13, 12, 12, 12]
    assert all(o.ends_at - o.starts_at == timedelta(hours=2) for o in found)


def test_new_york_shift_keeps_its_wall_clock_time_across_fall_back() -> None:
    pattern = weekly((4, 0), time(9, 0), 90, date(2026, 10, 26))
    found = occurrences(pattern, NEW_YORK, utc(2026, 10, 26), utc(2026, 11, 10))
    assert [o.local_start.hour for o in found] == [9, 9, 9, 9, 9]
    # EDT (UTC-4) until Sunday 1 November, EST (UTC-5) after it.
    assert [o.starts_at.hour for o in found] == [13, 13, 14, 14, 14]


def test_a_shift_in_the_spring_forward_gap_starts_after_it_and_keeps_its_length() -> None:
    pattern = Pattern(
        timedelta(minutes=90), date(2026, 3, 1), rrule="FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30"
    )
    found = occurrences(pattern, BERLIN, utc(2026, 3, 28), utc(2026, 3, 30))
    [shift] = found
    # 02:30 does not exist on 29 March 2026 in Berlin; RFC 5545 reads it with the offset
    # before the gap: 01:30 UTC, which is 03:30 CEST.
    assert shift.starts_at == utc(2026, 3, 29, 1, 30)
    assert shift.ends_at - shift.starts_at == timedelta(minutes=90)


def test_an_overnight_shift_across_fall_back_ends_at_its_wall_clock_time() -> None:
    pattern = weekly((5,), time(22, 0), 8 * 60, date(2026, 10, 19))
    [shift] = occurrences(pattern, BERLIN, utc(2026, 10, 24), utc(2026, 10, 25))
    assert shift.ends_at.astimezone(BERLIN).hour == 6
    assert shift.ends_at - shift.starts_at == timedelta(hours=9)  # the repeated hour counts


def test_every_other_week_counts_from_the_start_date() -> None:
    pattern = weekly((1,), time(10, 0), 60, date(2026, 11, 30), every=2)
    found = occurrences(pattern, BERLIN, utc(2026, 11, 30), utc(2027, 1, 5))
    assert [o.local_start.date() for o in found] == [
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
    ]


def test_an_rrule_pattern_and_holidays_are_honoured() -> None:
    pattern = Pattern(
        timedelta(minutes=90), date(2026, 12, 1), rrule="FREQ=WEEKLY;BYDAY=TU;BYHOUR=9"
    )
    found = occurrences(
        pattern, NEW_YORK, utc(2026, 12, 1), utc(2027, 1, 1), holidays=[date(2026, 12, 22)]
    )
    days = [o.local_start.date() for o in found]
    assert date(2026, 12, 22) not in days and len(days) == 4
    assert all(o.local_start.time() == time(9, 0) for o in found)


def test_shortest_gap_and_rrule_checks() -> None:
    assert shortest_gap(weekly((0, 2, 4), time(14, 0), 60, date(2026, 1, 5))) == timedelta(days=2)
    daily = Pattern(timedelta(hours=1), date(2026, 1, 5), rrule="FREQ=DAILY;BYHOUR=9,17")
    assert shortest_gap(daily) == timedelta(hours=8)
    assert check_rrule("FREQ=MINUTELY") == "shifts more often than hourly are not supported"
    assert check_rrule("FREQ=WEEKLY;BYDAY=XX") is not None
    assert check_rrule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9") is None


def _shifts(count: int, hours: int = 48) -> list:
    pattern = Pattern(timedelta(hours=2), date(2026, 1, 5), rrule=f"FREQ=HOURLY;INTERVAL={hours}")
    return occurrences(
        pattern, BERLIN, utc(2026, 1, 5), utc(2026, 1, 5) + timedelta(hours=hours * count)
    )


def _team(prefix: str, size: int, team: str) -> list[Member]:
    return [Member(f"{prefix}{i}", team) for i in range(size)]


def test_fair_assignment_keeps_counts_within_one() -> None:
    members = _team("A", 4, "S0A") + _team("B", 3, "S0B")
    shifts = _shifts(40)
    for seats in (1, 2, 3):
        ledger = Ledger()
        result = assign(shifts, seats, members, ledger, "rot")
        counts = Counter(m.user_id for row in result for m in row if m)
        assert sum(counts.values()) == 40 * seats
        assert max(counts.values()) - min(counts.values()) <= 1
        assert all(len({m.user_id for m in row if m}) == seats for row in result)


def test_assignment_is_deterministic_for_the_same_inputs() -> None:
    members = _team("A", 5, "S0A")
    first = assign(_shifts(20), 1, members, Ledger(), "rot")
    second = assign(_shifts(20), 1, list(reversed(members)), Ledger(), "rot")
    assert [r[0].user_id for r in first] == [r[0].user_id for r in second]


def test_nobody_gets_back_to_back_shifts_when_someone_else_can_take_it() -> None:
    members = _team("A", 2, "S0A")
    result = assign(_shifts(12), 1, members, Ledger(), "rot")
    people = [r[0].user_id for r in result]
    assert all(a != b for a, b in zip(people, people[1:], strict=False))


def test_load_is_spread_across_teams() -> None:
    members = _team("A", 3, "S0A") + _team("B", 3, "S0B")
    singles = assign(_shifts(12), 1, members, Ledger(), "rot")
    teams = [r[0].team_id for r in singles]
    assert all(a != b for a, b in zip(teams, teams[1:], strict=False))
    pairs = assign(_shifts(12), 2, members, Ledger(), "rot")
    assert all({m.team_id for m in row if m} == {"S0A", "S0B"} for row in pairs)


def test_people_out_of_office_or_on_another_shift_are_skipped() -> None:
    members = _team("A", 3, "S0A")
    shifts = _shifts(9)
    ledger = Ledger()
    ledger.away["A0"].append((shifts[0].starts_at, shifts[5].ends_at))
    ledger.busy["A1"].append((shifts[2].starts_at - timedelta(minutes=30), shifts[2].ends_at))
    result = assign(shifts, 1, members, ledger, "rot")
    assert all(r[0].user_id != "A0" for r in result[:6])
    assert result[2][0].user_id != "A1"
    assert {r[0].user_id for r in result[6:]} >= {"A0"}


def test_history_counts_send_new_shifts_to_those_with_fewer() -> None:
    members = _team("A", 3, "S0A")
    ledger = Ledger()
    ledger.counts.update({"A0": 5, "A1": 5, "A2": 2})
    result = assign(_shifts(4), 1, members, ledger, "rot")
    # A2 is three behind: it takes shifts even back to back, until one behind.
    assert [r[0].user_id for r in result][:2] == ["A2", "A2"]
    assert Counter(r[0].user_id for r in result)["A2"] >= 3


def test_back_to_back_is_avoided_when_only_one_shift_behind() -> None:
    members = _team("A", 2, "S0A")
    ledger = Ledger()
    ledger.counts.update({"A0": 3, "A1": 4})
    ledger.previous = {"A0"}
    [[member]] = assign(_shifts(1), 1, members, ledger, "rot")
    assert member.user_id == "A1"


def test_a_seat_nobody_can_take_stays_empty() -> None:
    members = _team("A", 1, "S0A")
    shifts = _shifts(2)
    ledger = Ledger()
    ledger.away["A0"].append((shifts[0].starts_at, shifts[0].ends_at))
    result = assign(shifts, 1, members, ledger, "rot")
    assert result[0] == [None] and result[1][0] is not None
    assert pick([], Ledger(), shifts[0].starts_at, shifts[0].ends_at, seed="x") is None
