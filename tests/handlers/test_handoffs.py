"""Hand-offs: the Hand off prompt and note, and what the next person gets at the end of a shift."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from bug_helpers import SUPPORT, file_bug, refresh_meta, text_of, ticket_thread
from rotation_helpers import (
    MONDAY,
    ROTATION_CHANNEL,
    add_workspace,
    chat_support,
    refresh_directory,
    seats,
)
from sqlalchemy import func, select

from bot.db import transaction
from bot.ids import Action
from bot.ids import QuestionField as F
from bot.insights import handoffs
from bot.models import OutboxMessage
from bot.rotations import lifecycle
from scheduling.sweeps import rotations as sweeps

pytestmark = pytest.mark.travel(MONDAY)


@pytest.fixture
def desk(bugdesk: Any) -> Any:
    add_workspace(bugdesk.slack)
    refresh_directory(bugdesk)
    refresh_meta(bugdesk)
    with transaction(bugdesk.runtime.factory) as session:
        spec = chat_support(areas=["Payments"])
        lifecycle.create(session, spec, actor="U0LEAD", now=bugdesk.clock.now())
    return bugdesk


def _seats(app: Any) -> list[Any]:
    with transaction(app.runtime.factory) as session:
        rotation_id = lifecycle.get(session, "chat-support").id
    return seats(app.runtime.factory, rotation_id)


def _at(app: Any, moment: Any) -> dict[str, int]:
    """Move the clock and run the rotation tick and the hand-off sweep, as the scheduler does."""
    app.clock.set(moment)
    with transaction(app.runtime.factory) as session:
        sweeps.tick(session, moment, default_leads=["U0LEAD"])
        found = handoffs.sweep(session, moment)
    app.settle()
    return found


def _button(message: dict[str, Any], action_id: str) -> str:
    return next(
        str(e["value"])
        for b in message.get("blocks") or []
        for e in b.get("elements") or []
        if e.get("action_id") == action_id
    )


def _dm(app: Any, user: str, words: str) -> dict[str, Any]:
    return next(m for m in reversed(app.slack.dms(user)) if words in text_of(m))


def test_the_next_person_gets_the_work_the_bugs_the_waiting_questions_and_the_note(
    desk: Any,
) -> None:
    first, following = _seats(desk)[:2]
    holder, incoming = first.user_id, following.user_id
    _at(desk, first.starts_at)
    checked = desk.driver.command("/support", "checkin", user_id=holder, channel_id=SUPPORT)
    assert "Checked in" in checked.json["text"]
    _, root = ticket_thread(desk)
    desk.driver.user_message(holder, SUPPORT, "Looking into it", thread_ts=root["ts"])
    assert file_bug(desk, root, user=holder).errors is None
    opened = desk.driver.block_action("U0AGENT", Action.QUESTION_ASK, message=root)
    desk.driver.view_submission(
        "U0AGENT", opened.view or {}, {F.AREA: "Payments", F.TEXT: "Refund stuck?"}
    )
    desk.settle()

    found = _at(desk, first.ends_at - timedelta(minutes=30))
    assert found["prompted"] == 1
    prompt = _dm(desk, holder, "Leave a note")
    opened = desk.driver.block_action(
        holder, Action.HANDOFF_OPEN, message=prompt, value=_button(prompt, Action.HANDOFF_OPEN)
    )
    assert opened.view is not None and opened.view["callback_id"] == "handoff_form"
    ends = f"<!date^{int(first.ends_at.timestamp())}^"
    assert ends in text_of(prompt) and ends in json.dumps(opened.view)  # the reader's zone
    saved = desk.driver.view_submission(
        holder, opened.view, {F.HANDOFF_NOTE: "Watch <!here> the refund & the EU queue"}
    )
    assert saved.errors is None
    desk.settle()
    assert ends in text_of(_dm(desk, holder, "Saved your hand-off note"))

    assert _at(desk, first.ends_at)["handed_off"] == 1
    handed = _dm(desk, incoming, "Hand-off")
    shown = text_of(handed)
    assert f"<@{holder}> handed *chat-support*" in shown
    assert "Checkout fails" in shown and "SLA" in shown  # the ticket, open, with its SLA
    assert "SUP-1" in shown  # the bug filed during the shift
    assert "Refund stuck?" in shown and "*Payments*" in shown  # the question still waiting
    assert "Watch &lt;!here&gt; the refund &amp; the EU queue" in shown
    assert "<!here>" not in shown
    post = desk.slack.messages(ROTATION_CHANNEL)[-1]
    assert "Hand-off on *chat-support*" in text_of(post)
    assert "1 ticket worked on (1 still open" in text_of(post) and "1 bug filed" in text_of(post)

    assert _at(desk, first.ends_at + timedelta(minutes=1))["handed_off"] == 0
    with transaction(desk.runtime.factory) as session:
        sent = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.key.like(f"shift:{first.shift_id}:handoff:%"))
        )
    assert sent == 3  # the prompt, the next person's DM, the channel post: once each
    late = desk.driver.block_action(
        holder, Action.HANDOFF_OPEN, message=prompt, value=_button(prompt, Action.HANDOFF_OPEN)
    )
    assert any("handed off already" in t for t in late.ephemeral)


def test_a_shift_nobody_attended_says_so(desk: Any) -> None:
    first, following = _seats(desk)[:2]
    _at(desk, first.window_closes_at)  # nobody checked in: a no-show
    _at(desk, first.ends_at)
    handed = _dm(desk, following.user_id, "Nobody attended")
    assert f"<@{first.user_id}> did not check in" in text_of(handed)
    post = desk.slack.messages(ROTATION_CHANNEL)[-1]
    assert "Nobody attended the *chat-support* shift" in text_of(post)


def test_after_downtime_a_late_hand_off_skips_the_prompt_and_an_old_one_is_dropped(
    desk: Any,
) -> None:
    first, _, third = _seats(desk)[:3]
    found = _at(desk, first.ends_at + timedelta(minutes=5))
    assert (found["prompted"], found["handed_off"]) == (0, 1)
    assert not [m for m in desk.slack.dms(first.user_id) if "Leave a note" in text_of(m)]
    found = _at(desk, third.starts_at)  # down from Monday until Friday
    assert found["skipped"] == 1 and found["handed_off"] == 0
    assert not [m for m in desk.slack.dms(third.user_id) if "Hand-off" in text_of(m)]


def test_the_app_home_shows_hand_off_in_the_last_half_hour(desk: Any) -> None:
    first = _seats(desk)[0]
    _at(desk, first.starts_at)
    desk.driver.command("/support", "checkin", user_id=first.user_id, channel_id=SUPPORT)
    desk.driver.app_home_opened(first.user_id)
    desk.settle()
    assert "handoff_open" not in json.dumps(desk.slack.home(first.user_id))
    desk.clock.set(first.ends_at - timedelta(minutes=20))
    desk.driver.app_home_opened(first.user_id)
    desk.settle()
    home = desk.slack.home(first.user_id)
    assert home is not None and "handoff_open" in json.dumps(home)
    opened = desk.driver.block_action(
        first.user_id, Action.HANDOFF_OPEN, view=home, value=str(first.id)
    )
    assert opened.view is not None and opened.view["callback_id"] == "handoff_form"
    stranger = desk.driver.block_action(
        "U0AGENT", Action.HANDOFF_OPEN, view=home, value=str(first.id)
    )
    desk.settle()
    assert stranger.view is None
    assert any("not yours" in m["text"] for m in desk.slack.dms("U0AGENT"))
