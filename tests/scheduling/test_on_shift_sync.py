"""The on-shift user group and channel topic follow the seats, set in Slack over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rotation_helpers import (
    BACKEND,
    FRONTEND,
    MONDAY,
    ROTATION_CHANNEL,
    add_workspace,
    form_values,
    refresh_directory,
    seats,
)
from sqlalchemy import select

from bot.db import transaction
from bot.ids import Action
from bot.ids import RotationField as F
from bot.rotations.models import Rotation
from integrations.simulators.driver.client import SlackDriver
from integrations.simulators.slack.server import DEFAULT_SCOPES
from scheduling.sweeps import directory, on_shift
from scheduling.sweeps import rotations as sweeps

pytestmark = pytest.mark.travel(MONDAY)

WRITES = ("usergroups.users.update", "usergroups.enable", "usergroups.disable")
SLACK_WRITES = (*WRITES, "conversations.setTopic")


@pytest.fixture
def slack(app: Any) -> SlackDriver:
    add_workspace(app.slack)
    app.slack.add_usergroup("S0NOW", "support-now", "On support now", users=["U0LEAD"])
    refresh_directory(app)
    return app.driver


def _create(app: Any, slack: SlackDriver, **overrides: Any) -> Any:
    opened = slack.command(
        "/support", "rotation create", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    values = form_values(**{F.USERGROUP: "@support-now", F.TOPIC: ["show"], **overrides})
    return slack.view_submission("U0LEAD", opened.view or {}, values)


def _rotation_id(app: Any) -> int:
    with transaction(app.runtime.factory) as session:
        found = session.scalar(select(Rotation.id).where(Rotation.name == "chat-support"))
    assert found is not None
    return found


def _sync(app: Any) -> dict[str, int]:
    runtime = app.runtime
    result = on_shift.sync(
        runtime.factory, runtime.clients, app.clock.now(), default_leads=["U0LEAD"]
    )
    app.settle()
    return result


def _tick(app: Any) -> None:
    with transaction(app.runtime.factory) as session:
        sweeps.tick(session, app.clock.now(), default_leads=["U0LEAD"])
    app.settle()


def _writes(app: Any) -> int:
    return sum(len(app.slack.calls_to(m)) for m in SLACK_WRITES)


def _topic(app: Any) -> str:
    return str(app.slack.conversation(ROTATION_CHANNEL)["topic"]["value"])


def test_the_group_and_topic_follow_shift_starts_and_ends(app: Any, slack: SlackDriver) -> None:
    assert _create(app, slack).errors is None
    first = seats(app.runtime.factory, _rotation_id(app))[0]
    assert _sync(app) == {"synced": 2, "refused": 0}
    assert app.slack.usergroup("S0NOW")["date_delete"] > 0  # nobody on: @support-now is off
    assert _topic(app) == "Nobody is on support right now."
    calls = _writes(app)
    assert _sync(app) == {"synced": 0, "refused": 0}
    assert _writes(app) == calls  # nothing changed: no Slack call at all

    app.clock.set(first.starts_at)
    _sync(app)
    group = app.slack.usergroup("S0NOW")
    assert group["users"] == [first.user_id] and group["date_delete"] == 0
    name = {**BACKEND, **FRONTEND}[first.user_id]
    assert _topic(app) == f"On support now: {name}"
    app.clock.set(first.ends_at)
    _sync(app)
    assert app.slack.usergroup("S0NOW")["date_delete"] > 0
    assert _topic(app) == "Nobody is on support right now."


def test_a_no_show_and_the_cover_change_the_group_within_a_tick(
    app: Any, slack: SlackDriver
) -> None:
    assert _create(app, slack, **{F.TOPIC: []}).errors is None
    first = seats(app.runtime.factory, _rotation_id(app))[0]
    app.clock.set(first.starts_at)
    _sync(app)
    assert app.slack.usergroup("S0NOW")["users"] == [first.user_id]
    app.clock.set(first.window_closes_at)
    _tick(app)  # nobody checked in: a no-show, and a backup is asked to cover
    _sync(app)
    assert app.slack.usergroup("S0NOW")["date_delete"] > 0
    backup = next(
        u
        for u in [*BACKEND, *FRONTEND]
        if any("Can you cover" in m["text"] for m in app.slack.dms(u))
    )
    ask = next(m for m in app.slack.dms(backup) if "Can you cover" in m["text"])
    value = next(
        e["value"]
        for b in ask["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == Action.SHIFT_TAKE
    )
    slack.block_action(backup, Action.SHIFT_TAKE, message=ask, value=value)
    _sync(app)
    group = app.slack.usergroup("S0NOW")
    assert group["users"] == [backup] and group["date_delete"] == 0
    assert app.slack.calls_to("conversations.setTopic") == []  # the topic was not asked for


def test_a_refusal_tells_the_leads_once_and_is_retried_hourly(app: Any, slack: SlackDriver) -> None:
    assert _create(app, slack, **{F.TOPIC: []}).errors is None
    app.slack.lock_usergroup("S0NOW")
    assert _sync(app) == {"synced": 0, "refused": 1}
    [told] = [m for m in app.slack.dms("U0LEAD") if "could not update" in m["text"]]
    assert "permission_denied" in told["text"] and "chat-support" in told["text"]
    calls = _writes(app)
    _sync(app)
    assert _writes(app) == calls  # not hammered: tried again within the hour
    app.clock.advance(hours=1)
    assert _sync(app)["refused"] == 1
    assert len([m for m in app.slack.dms("U0LEAD") if "could not update" in m["text"]]) == 1
    app.slack.lock_usergroup("S0NOW", locked=False)
    app.clock.advance(hours=1)
    assert _sync(app)["synced"] == 1
    assert app.slack.usergroup("S0NOW")["date_delete"] > 0


@pytest.mark.parametrize(
    ("group", "words"),
    [
        ("@no-such-group", "unknown user group"),
        ("@backend-eng", "one of this rotation's teams"),
    ],
)
def test_a_bad_group_is_a_field_error_and_saves_nothing(
    app: Any, slack: SlackDriver, group: str, words: str
) -> None:
    answer = _create(app, slack, **{F.USERGROUP: group})
    assert answer.errors is not None and words in answer.errors[F.USERGROUP]
    with transaction(app.runtime.factory) as session:
        assert session.scalar(select(Rotation.id)) is None


def test_a_group_the_app_may_not_edit_is_refused_when_the_scope_is_missing(
    app: Any, slack: SlackDriver
) -> None:
    app.slack.set_scopes([s for s in DEFAULT_SCOPES if s not in ("usergroups:write",)])
    runtime = app.runtime
    directory.refresh(runtime.factory, runtime.clients, [], app.clock.now())
    answer = _create(app, slack)
    assert answer.errors is not None and "usergroups:write" in answer.errors[F.USERGROUP]
    with transaction(app.runtime.factory) as session:
        assert session.scalar(select(Rotation.id)) is None


def test_paused_rotation_empties_the_group_after_the_running_shift(
    app: Any, slack: SlackDriver
) -> None:
    assert _create(app, slack, **{F.TOPIC: []}).errors is None
    second = seats(app.runtime.factory, _rotation_id(app))[1]
    app.clock.set(second.starts_at - timedelta(hours=1))
    slack.command("/support", "rotation pause chat-support", user_id="U0LEAD", channel_id="C0ROTA")
    app.clock.set(second.starts_at + timedelta(minutes=5))
    _sync(app)
    assert app.slack.usergroup("S0NOW")["date_delete"] > 0
