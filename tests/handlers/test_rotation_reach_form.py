"""The rotation form's product areas, escalation, on-shift group and topic, through Slack."""

from __future__ import annotations

from typing import Any

import pytest
from rotation_helpers import MONDAY, ROTATION_CHANNEL, add_workspace, form_values, refresh_directory
from sqlalchemy import select

from bot.db import transaction
from bot.ids import RotationField as F
from bot.rotations.models import Rotation

pytestmark = pytest.mark.travel(MONDAY)


@pytest.fixture
def slack(app: Any) -> Any:
    add_workspace(app.slack)
    app.slack.add_usergroup("S0NOW", "support-now", "Now", users=[])
    refresh_directory(app)
    return app.driver


def _submit(slack: Any, text: str, **values: Any) -> Any:
    opened = slack.command("/support", text, user_id="U0LEAD", channel_id=ROTATION_CHANNEL)
    assert opened.view is not None
    return opened, slack.view_submission("U0LEAD", opened.view, form_values(**values))


def _stored(app: Any, name: str) -> Rotation | None:
    with transaction(app.runtime.factory) as session:
        return session.scalar(select(Rotation).where(Rotation.name == name))


def test_the_form_saves_areas_escalation_group_and_topic_and_shows_them_to_edit(
    app: Any, slack: Any
) -> None:
    reach = {
        F.AREAS: "Payments, Mobile app\nRefunds",
        F.ESCALATION: "10m",
        F.USERGROUP: "@support-now",
        F.TOPIC: ["show"],
    }
    _, answer = _submit(slack, "rotation create", **reach)
    assert answer.errors is None
    rotation = _stored(app, "chat-support")
    assert rotation is not None
    assert rotation.areas == ["Payments", "Mobile app", "Refunds"]
    assert (rotation.escalation_minutes, rotation.usergroup, rotation.channel_topic) == (
        10,
        "S0NOW",
        True,
    )
    opened = slack.command(
        "/support", "rotation edit chat-support", user_id="U0LEAD", channel_id=ROTATION_CHANNEL
    )
    blocks = {b.get("block_id"): b for b in opened.view["blocks"]}
    assert blocks[F.AREAS]["element"]["initial_value"] == "Payments, Mobile app, Refunds"
    assert blocks[F.ESCALATION]["element"]["initial_value"] == "10m"
    assert blocks[F.USERGROUP]["element"]["initial_value"] == "@support-now"
    assert blocks[F.TOPIC]["element"]["initial_options"][0]["value"] == "show"


def test_an_area_another_rotation_covers_is_a_field_error_and_saves_nothing(
    app: Any, slack: Any
) -> None:
    _, first = _submit(slack, "rotation create", **{F.AREAS: "Payments"})
    assert first.errors is None
    _, second = _submit(
        slack, "rotation create", **{F.NAME: "triage", F.CHANNEL: "C0SUPPORT", F.AREAS: "payments"}
    )
    assert second.errors is not None
    assert "already covered by rotation chat-support" in second.errors[F.AREAS]
    assert _stored(app, "triage") is None
    _, third = _submit(slack, "rotation create", **{F.NAME: "other", F.ESCALATION: "soon"})
    assert third.errors is not None and "not a duration" in third.errors[F.ESCALATION]
    assert _stored(app, "other") is None
