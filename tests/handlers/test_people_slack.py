"""`/support people`: leads see which Slack member each helpdesk agent is and fix mappings."""

from __future__ import annotations

import json
from typing import Any

import requests
from harness import HELPDESK_SECRET
from sqlalchemy import select

from bot.db import transaction
from bot.models import PendingCall
from bot.sla.models import SlaAlert
from bot.tickets.models import HelpdeskAgent
from integrations.signatures import sign_helpdesk
from integrations.slack_directory import fetch_users
from scheduling.sweeps import directory
from scheduling.sweeps import sla as sla_sweep

SUPPORT = "C0SUPPORT"


def _say(app: Any, text: str, user: str = "U0LEAD") -> str:
    answer = app.driver.command("/support", text, user_id=user, channel_id=SUPPORT)
    posted = app.slack.responses(answer.response_url) if answer.response_url else []
    return "\n".join(answer.ephemeral) + json.dumps([answer.json, posted], ensure_ascii=False)


def _agents(app: Any) -> dict[str, tuple[str | None, str]]:
    with transaction(app.runtime.factory) as session:
        rows = session.scalars(select(HelpdeskAgent)).all()
        return {a.email: (a.slack_user_id, a.how) for a in rows}


def _assigned_ticket(app: Any, agent: dict[str, Any], **fields: Any) -> dict[str, Any]:
    z = app.zendesk
    customer = z.add_user("Carla Customer", email="carla@globex.test")
    ticket = z.create_ticket(
        "Checkout fails", "Card declined", requester_id=customer["id"],
        assignee_id=agent["id"], **fields,
    )  # fmt: skip
    app.settle()
    return ticket


def _workspace(app: Any) -> None:
    """Slack members: Cam (same email as in Zendesk), Ada (same name), Nora (neither)."""
    app.slack.add_user("U0CAM", "cam", real_name="Cam Nguyen", email="cam@acme.test")
    app.slack.add_user("U0NORA", "nora", real_name="Nora N.", email="nora@home.test")
    app.slack.add_user("U0GUEST", "gus", real_name="Gus Guest", is_restricted=True)
    fetch_users(app.runtime.factory, app.runtime.clients.slack, app.clock.now())


def test_people_list_says_who_each_agent_is_and_how_it_was_found(desk: Any) -> None:
    _workspace(desk)
    for agent in (
        desk.zendesk.add_agent("Cameron N.", email="cam@acme.test"),
        desk.zendesk.add_agent("Ada Agent", email="ada@contractor.test"),
        desk.zendesk.add_agent("Nora Nobody", email="nora@contractor.test"),
    ):
        _assigned_ticket(desk, agent)
    listing = _say(desk, "people list")
    assert "`cam@acme.test` (Cameron N.) → <@U0CAM> _by email_" in listing
    assert "`ada@contractor.test` (Ada Agent) → <@U0AGENT> _by name_" in listing
    assert "`nora@contractor.test` (Nora Nobody) → _nobody: Slack knows no member" in listing
    refused = _say(desk, "people list", user="U0AGENT")
    assert "for support leads only" in refused


def test_a_lead_maps_an_agent_and_the_sla_alert_mentions_them(desk: Any) -> None:
    _workspace(desk)
    nora = desk.zendesk.add_agent("Nora Nobody", email="nora@contractor.test")
    desk.slack.fail_method("users.lookupByEmail", "internal_error")  # retried in a while
    ticket = _assigned_ticket(desk, nora, priority="urgent")
    said = _say(
        desk, "people map <mailto:Nora@Contractor.test|Nora@Contractor.test> <@U0NORA|nora>"
    )
    assert "`nora@contractor.test` is <@U0NORA> now" in said
    assert _agents(desk)["nora@contractor.test"] == ("U0NORA", "lead")
    assert "→ <@U0NORA> _set by a lead_" in _say(desk, "people list")
    desk.clock.advance(minutes=1)
    desk.settle()  # Slack's late answer (nobody has this email) does not undo the lead's choice
    assert [c.response.get("error") for c in desk.slack.calls_to("users.lookupByEmail")] == [
        "internal_error",
        "users_not_found",
    ]
    assert _agents(desk)["nora@contractor.test"] == ("U0NORA", "lead")
    now = desk.clock.advance(minutes=49)  # urgent: first response at risk after 45 minutes
    with transaction(desk.runtime.factory) as session:
        sla_sweep.sweep(session, now)
    desk.settle()
    [root] = [m for m in desk.slack.messages(SUPPORT) if f"Zendesk #{ticket['id']}" in m["text"]]
    [alert] = desk.slack.replies(SUPPORT, root["ts"])
    assert "<@U0NORA>" in alert["text"] + json.dumps(alert.get("blocks"))
    with transaction(desk.runtime.factory) as session:
        assert session.scalars(select(SlaAlert.mentioned)).all() == ["U0NORA"]
    # A later lookup (the hourly directory job, a day on) does not undo a lead's choice.
    desk.clock.advance(days=1)
    directory.refresh(desk.runtime.factory, desk.runtime.clients, [], desk.clock.now())
    desk.settle()
    assert _agents(desk)["nora@contractor.test"] == ("U0NORA", "lead")


def test_unmap_goes_back_to_asking_slack_by_email(desk: Any) -> None:
    _workspace(desk)
    cam = desk.zendesk.add_agent("Cameron N.", email="cam@acme.test")
    _assigned_ticket(desk, cam)
    assert "is <@U0NORA> now" in _say(desk, "people map cam@acme.test <@U0NORA>")
    desk.clock.advance(minutes=1)
    said = _say(desk, "people unmap cam@acme.test")
    assert "asking Slack by email again" in said
    desk.settle()
    assert _agents(desk)["cam@acme.test"] == ("U0CAM", "email")
    assert "No lead mapped" in _say(desk, "people unmap cam@acme.test")


def test_bad_mappings_are_refused_and_nothing_is_saved(desk: Any) -> None:
    _workspace(desk)
    nora = desk.zendesk.add_agent("Nora Nobody", email="nora@contractor.test")
    _assigned_ticket(desk, nora)
    before = _agents(desk)
    cases = {
        "people map nobody@nowhere.test <@U0NORA>": "No helpdesk agent has the email",
        "people map nora@contractor.test <@U0BOT>": "is a bot",
        "people map nora@contractor.test <@U0GUEST>": "is a guest",
        "people map nora@contractor.test <@U0NOSUCH>": "Slack could not tell me who",
        "people map not-an-email <@U0NORA>": "is not an email address",
        "people map nora@contractor.test nora": "is not a Slack user",
        "people map nora@contractor.test": "Usage: `/support people",
        "people shout": "is not list, map or unmap",
    }
    for text, expected in cases.items():
        said = _say(desk, text)
        assert ":warning:" in said and expected in said, text
    assert _agents(desk) == before
    with transaction(desk.runtime.factory) as session:
        kinds = set(session.scalars(select(PendingCall.kind)))
    assert "slack.lookup_email" in kinds


def test_the_generic_helpdesk_assignee_is_found_by_email(app: Any) -> None:
    app.slack.add_user("U0CAM", "cam", real_name="Cam Nguyen", email="cam@acme.test")
    body = json.dumps(
        {
            "type": "ticket.created",
            "event_id": "e1",
            "source": "freshdesk",
            "ticket": {
                "id": "FD-1",
                "subject": "Checkout fails",
                "status": "open",
                "assignee": {"id": "a7", "name": "C. Nguyen", "email": "cam@acme.test"},
                "updated_at": "2026-01-01T10:00:00Z",
            },
        }
    ).encode()
    stamp = str(int(app.clock.epoch()))
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(HELPDESK_SECRET, stamp, body),
    }
    answer = requests.post(f"{app.url}/webhooks/helpdesk", data=body, headers=headers, timeout=10)
    assert answer.status_code == 200
    app.settle()
    assert _agents(app) == {"cam@acme.test": ("U0CAM", "email")}
    assert "`cam@acme.test` (C. Nguyen) → <@U0CAM> _by email_" in _say(app, "people list")


def test_an_email_slack_did_not_know_is_asked_again_the_next_day(desk: Any) -> None:
    nora = desk.zendesk.add_agent("Nora Nobody", email="nora@contractor.test")
    _assigned_ticket(desk, nora)
    assert _agents(desk)["nora@contractor.test"] == (None, "missing")
    desk.slack.add_user("U0NORA", "nora", real_name="Nora N.", email="nora@contractor.test")
    directory.refresh(desk.runtime.factory, desk.runtime.clients, [], desk.clock.now())
    desk.settle()
    assert len(desk.slack.calls_to("users.lookupByEmail")) == 1  # asked today already
    desk.clock.advance(days=1, minutes=1)
    directory.refresh(desk.runtime.factory, desk.runtime.clients, [], desk.clock.now())
    desk.settle()
    assert _agents(desk)["nora@contractor.test"] == ("U0NORA", "email")
