"""The Update Ticket pacer: a rolling minute's budget, read on the clock when each call goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integrations.pacing import WINDOW, Pacer

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_budget_refills_a_rolling_minute_after_each_call() -> None:
    now = [START]
    pacer = Pacer(3, lambda: now[0])
    assert [pacer.take() for _ in range(3)] == [None, None, None]
    assert pacer.take() == START + WINDOW and pacer.remaining() == 0
    now[0] = START + timedelta(seconds=30)
    assert pacer.take() == START + WINDOW
    now[0] = START + WINDOW
    assert pacer.remaining() == 3 and pacer.take() is None
    assert pacer.remaining() == 2
