"""A requester's email and phone reach Slack only with SHOW_REQUESTER_CONTACT=true.

Zendesk's ticket events carry the requester's id alone; the email and phone come from the Users
API when the app looks the requester up. The generic webhook carries them in `requester`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import HELPDESK_SECRET, start_app

from integrations.signatures import sign_helpdesk

SUPPORT = "C0SUPPORT"
EMAIL, PHONE = "carla@globex.test", "+1 555 0100"


@pytest.fixture(params=[False, True], ids=["contact-hidden", "contact-shown"])
def shown(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def desk(db_url: str, clock: Any, shown: bool) -> Iterator[Any]:
    running = start_app(db_url, clock=clock, zendesk=True, show_requester_contact=shown)
    yield running
    running.stop()


def _everything(app: Any) -> str:
    """Every argument of every Web API call the app made, and every ephemeral and view."""
    calls = [c.args for c in app.slack.calls]
    return json.dumps([calls, app.slack.ephemerals(), app.slack.views()], default=str)


def _root(app: Any, marker: str) -> dict[str, Any]:
    return next(m for m in app.slack.messages(SUPPORT) if marker in m["text"])


def _requester_field(root: dict[str, Any]) -> str:
    fields = root["blocks"][1]["fields"]
    return next(f["text"] for f in fields if f["text"].startswith("*Requester*"))


def test_zendesk_requester_contact_follows_the_setting(desk: Any, shown: bool) -> None:
    z = desk.zendesk
    carla = z.add_user("Carla Customer", email=EMAIL, phone=PHONE)
    agent = z.add_agent("Ada Agent", email="ada@acme.test")
    first = z.create_ticket("Printer jams", "Paper everywhere", requester_id=carla["id"])
    desk.settle()
    second = z.create_ticket("Printer jams again", "Still", requester_id=carla["id"])
    desk.settle()
    z.add_comment(first["id"], "On it", author_id=agent["id"])
    desk.driver.app_home_opened("U0LEAD")
    desk.settle()
    for ticket in (first, second):  # the second from the cached user record
        field = _requester_field(_root(desk, f"Zendesk #{ticket['id']}:"))
        assert ("Carla Customer" in field) and ((EMAIL in field and PHONE in field) is shown)
    everything = _everything(desk)
    assert (EMAIL in everything) is shown and (PHONE in everything) is shown


def _send(app: Any, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    stamp = str(int(app.clock.epoch()))
    headers = {
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(HELPDESK_SECRET, stamp, body),
    }
    answer = requests.post(f"{app.url}/webhooks/helpdesk", data=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


def test_generic_requester_contact_follows_the_setting(desk: Any, shown: bool) -> None:
    requester = {"id": "r1", "name": "Dana Customer", "email": EMAIL, "phone": PHONE}
    ticket = {"id": "FD-7", "subject": "Login loops", "status": "open", "requester": requester}
    _send(desk, {"type": "ticket.created", "source": "freshdesk", "ticket": ticket})
    desk.settle()
    field = _requester_field(_root(desk, "freshdesk #FD-7"))
    assert "Dana Customer" in field and ((EMAIL in field and PHONE in field) is shown)
    everything = _everything(desk)
    assert (EMAIL in everything) is shown and (PHONE in everything) is shown
