"""Ask an engineer: from a ticket thread to whoever is on shift, escalation, taking, stats."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from bug_helpers import SUPPORT, refresh_meta, replies, text_of, ticket_thread
from races import together
from rotation_helpers import (
    BACKEND,
    FRONTEND,
    MONDAY,
    add_workspace,
    chat_support,
    refresh_directory,
    seats,
)
from sqlalchemy import func, select

from bot.db import transaction
from bot.ids import Action
from bot.ids import QuestionField as F
from bot.rotations import lifecycle
from bot.tickets import questions
from bot.tickets.models import EngineerQuestion, TicketTouch

pytestmark = pytest.mark.travel(MONDAY)

EVERYONE = [*BACKEND, *FRONTEND]


@pytest.fixture
def desk(bugdesk: Any) -> Any:
    """A rotation covering Payments and Checkout, on shift from Monday 13:00 UTC, and a
    Zendesk ticket with its thread; Jira's metadata cached (components Backend…Mobile)."""
    add_workspace(bugdesk.slack)
    refresh_directory(bugdesk)
    refresh_meta(bugdesk)
    with transaction(bugdesk.runtime.factory) as session:
        spec = chat_support(areas=["Payments", "Checkout"], escalation_minutes=15)
        lifecycle.create(session, spec, actor="U0LEAD", now=bugdesk.clock.now())
    return bugdesk


def _first(app: Any) -> Any:
    with transaction(app.runtime.factory) as session:
        rotation_id = lifecycle.get(session, "chat-support").id
    return seats(app.runtime.factory, rotation_id)[0]


def _open(app: Any, root: dict[str, Any]) -> Any:
    opened = app.driver.block_action("U0AGENT", Action.QUESTION_ASK, message=root)
    assert opened.view is not None, opened.ephemeral
    return opened.view


def _ask(app: Any, root: dict[str, Any], area: str, text: str) -> Any:
    answer = app.driver.view_submission("U0AGENT", _open(app, root), {F.AREA: area, F.TEXT: text})
    app.settle()
    return answer


def _sweep(app: Any) -> dict[str, int]:
    with transaction(app.runtime.factory) as session:
        result = questions.escalate(session, app.clock.now(), default_leads=["U0LEAD"])
    app.settle()
    return result


def _ask_dm(app: Any, user: str) -> dict[str, Any] | None:
    found = [m for m in app.slack.dms(user) if "question about" in m["text"].lower()]
    return found[-1] if found else None


def _now(app: Any, dm: dict[str, Any]) -> dict[str, Any]:
    """A DM as it reads now (edited since it was sent?)."""
    found = app.slack.message(dm["channel"], dm["ts"])
    assert found is not None
    return found


def _take(app: Any, user: str) -> Any:
    dm = _ask_dm(app, user)
    assert dm is not None
    value = next(
        e["value"]
        for b in dm["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == Action.QUESTION_TAKE
    )
    answer = app.driver.block_action(user, Action.QUESTION_TAKE, message=dm, value=value)
    app.settle()
    return answer


def test_the_engineer_on_shift_is_asked_in_the_thread_and_takes_it(desk: Any) -> None:
    first = _first(desk)
    desk.clock.set(first.starts_at + timedelta(minutes=5))
    _, root = ticket_thread(desk)
    assert "Ask an engineer" in text_of(root)
    view = _open(desk, root)
    options = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert options == ["Backend", "Billing", "Checkout", "Frontend", "Mobile", "Payments"]
    assert _ask(desk, root, "payments", "Is <!channel> checkout down? & why").errors is None
    [asked] = [m for m in replies(desk, root) if "asks" in m["text"] or "asks" in text_of(m)]
    shown = text_of(asked)
    assert f"<@{first.user_id}>" in shown and "on shift" in shown
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "<!channel>" not in asked["text"]  # the notification text is escaped too
    dm = _ask_dm(desk, first.user_id)
    assert dm is not None and "I'm on it" in text_of(dm)
    assert "https://acme.slack.com/archives/" in text_of(dm)  # a link to the thread
    answer = _take(desk, first.user_id)
    assert any("on it" in t for t in answer.ephemeral)
    [taken] = [m for m in replies(desk, root) if "is on it" in text_of(m)]
    assert f"<@{first.user_id}> is on it" in text_of(taken) and "<!date^" in text_of(taken)
    edited = _now(desk, dm)
    assert "I'm on it" not in text_of(edited) and "You are on" in text_of(edited)
    other = next(u for u in EVERYONE if u != first.user_id)
    with transaction(desk.runtime.factory) as session:
        question_id = session.scalar(select(EngineerQuestion.id))
        with pytest.raises(Exception, match="already took"):
            questions.take(session, question_id, other, desk.clock.now())
        touched = {(t.user_id, t.kind) for t in session.scalars(select(TicketTouch))}
    assert {("U0AGENT", "asked"), (first.user_id, "took")} <= touched


def test_unanswered_questions_go_to_a_backup_then_the_leads_once(desk: Any) -> None:
    first = _first(desk)
    desk.clock.set(first.starts_at + timedelta(minutes=5))
    _, root = ticket_thread(desk)
    _ask(desk, root, "Checkout", "Refunds fail")
    assert _sweep(desk) == {"escalated": 0}
    desk.clock.advance(minutes=15)
    assert _sweep(desk) == {"escalated": 1}
    assert _sweep(desk) == {"escalated": 0}  # twice: once
    backups = [u for u in EVERYONE if u != first.user_id and _ask_dm(desk, u)]
    assert len(backups) == 1
    asked = {u: _ask_dm(desk, u) for u in (first.user_id, backups[0])}
    assert any(f"asking <@{backups[0]}> (backup)" in text_of(m) for m in replies(desk, root))
    desk.clock.advance(minutes=15)
    assert _sweep(desk) == {"escalated": 1}
    lead = _ask_dm(desk, "U0LEAD")
    assert lead is not None and "you are a lead" in text_of(lead)
    asked["U0LEAD"] = lead
    desk.clock.advance(hours=2)
    assert _sweep(desk) == {"escalated": 0}
    assert len([m for m in desk.slack.dms("U0LEAD") if "Question about" in m["text"]]) == 1
    _take(desk, backups[0])
    for user in (first.user_id, "U0LEAD"):
        dm = asked[user]
        assert dm is not None and f"<@{backups[0]}> is on" in text_of(_now(desk, dm))


def test_when_nobody_is_on_shift_the_backup_is_asked_at_once(desk: Any) -> None:
    _, root = ticket_thread(desk)  # Monday 08:00: the first shift starts at 13:00
    _ask(desk, root, "Payments", "Card declined")
    [asked] = [m for m in replies(desk, root) if "nobody is on shift" in text_of(m)]
    assert "(backup)" in text_of(asked) and "Card declined" in text_of(asked)


def test_an_area_no_rotation_covers_is_a_field_error_and_saves_nothing(desk: Any) -> None:
    _, root = ticket_thread(desk)
    answer = _ask(desk, root, "Billing", "Invoice wrong")
    assert answer.errors is not None
    assert "No active rotation covers Billing" in answer.errors[F.AREA]
    assert "Checkout, Payments" in answer.errors[F.AREA]
    empty = _ask(desk, root, "Payments", "   ")
    assert empty.errors is not None and F.TEXT in empty.errors
    with transaction(desk.runtime.factory) as session:
        assert session.scalar(select(func.count()).select_from(EngineerQuestion)) == 0


def test_the_shortcut_on_a_reply_prefills_the_question(desk: Any) -> None:
    _, root = ticket_thread(desk)
    message, _ = desk.driver.user_message(
        "U0AGENT", SUPPORT, "Only Visa cards fail", thread_ts=root["ts"]
    )
    opened = desk.driver.message_shortcut(
        "ask_engineer", user_id="U0AGENT", channel_id=SUPPORT, message=message
    )
    assert opened.view is not None
    assert opened.view["blocks"][2]["element"]["initial_value"] == "Only Visa cards fail"
    outside = desk.driver.message_shortcut(
        "ask_engineer", user_id="U0AGENT", channel_id=SUPPORT, message={"ts": "1.000001"}
    )
    assert any("not in a ticket thread" in t for t in outside.ephemeral)


def test_stats_report_time_to_first_engineer_response_per_rotation(desk: Any) -> None:
    first = _first(desk)
    desk.clock.set(first.starts_at + timedelta(minutes=5))
    _, root = ticket_thread(desk)
    _ask(desk, root, "Payments", "One")
    desk.clock.advance(minutes=4)
    _take(desk, first.user_id)
    _ask(desk, root, "Checkout", "Two")
    desk.clock.advance(minutes=1)
    answer = desk.driver.command("/support", "stats", user_id="U0AGENT", channel_id=SUPPORT)
    shown = json.dumps(answer.json, ensure_ascii=False)
    assert "Time to first engineer response" in shown
    assert "chat-support: median *4m* · p90 *4m* (1 taken) · 1 waiting" in shown


def test_replicas_escalating_at_once_ask_the_backup_once(desk: Any) -> None:
    """Three sweeps read the due question before any of them writes. The race shows only on
    PostgreSQL (tests/races.py); on SQLite writes are serialised and this checks the outcome."""
    first = _first(desk)
    desk.clock.set(first.starts_at + timedelta(minutes=5))
    _, root = ticket_thread(desk)
    _ask(desk, root, "Checkout", "Refunds fail")
    desk.clock.advance(minutes=15)

    def sweep() -> int:
        with transaction(desk.runtime.factory) as session:
            found = questions.escalate(session, desk.clock.now(), default_leads=["U0LEAD"])
        return int(found["escalated"])

    engine = desk.runtime.engine
    results = together(engine, ["engineer_questions", "outbox_messages"], sweep, sweep, sweep)
    desk.settle()
    assert sorted(results) == [0, 0, 1]
    assert len([u for u in EVERYONE if u != first.user_id and _ask_dm(desk, u)]) == 1
