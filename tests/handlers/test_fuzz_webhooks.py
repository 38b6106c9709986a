"""Fuzzing the webhooks: real Zendesk, generic helpdesk and Jira payloads, mutated and signed.

Whatever the body, the answer is 2xx or 4xx, the app logs one refusal line and no traceback,
stays healthy, and processes a good event sent afterwards.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import requests
from bug_helpers import file_bug, ticket_thread
from fuzzing import CANARY, count, json_bodies, run
from harness import HELPDESK_SECRET, JIRA_SECRET, ZENDESK_SECRET

from integrations.signatures import sign_helpdesk, sign_jira, sign_zendesk
from integrations.simulators.zendesk.events import iso


def _post(app: Any, path: str, body: bytes, headers: dict[str, str]) -> int:
    headers = {"Content-Type": "application/json", **headers}
    answer = requests.post(f"{app.url}{path}", data=body, headers=headers, timeout=30)
    return answer.status_code


def _zendesk(app: Any, body: bytes) -> int:
    stamp = iso(app.clock.epoch())
    headers = {
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": sign_zendesk(ZENDESK_SECRET, stamp, body),
    }
    return _post(app, "/webhooks/zendesk", body, headers)


def _helpdesk(app: Any, body: bytes) -> int:
    stamp = str(int(app.clock.epoch()))
    headers = {
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(HELPDESK_SECRET, stamp, body),
    }
    return _post(app, "/webhooks/helpdesk", body, headers)


def _jira(app: Any, body: bytes) -> int:
    headers = {
        "X-Hub-Signature": sign_jira(JIRA_SECRET, body),
        "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
    }
    return _post(app, "/webhooks/jira", body, headers)


def _zendesk_seeds(app: Any) -> list[dict[str, Any]]:
    """Events the Zendesk simulator sent for a ticket's life: created, comments, changes."""
    z = app.zendesk
    org = z.add_organization("Globex")
    customer = z.add_user("Carla Customer", email="carla@globex.test", organization_id=org["id"])
    agent = z.add_agent("Ada Agent", email="ada@acme.test")
    group = z.add_group("Billing")
    ticket = z.create_ticket(
        f"Printer on fire {CANARY}",
        f"It is smoking {CANARY}",
        requester_id=customer["id"],
        priority="high",
        tags=["hardware", "vip"],
        organization_id=org["id"],
    )
    z.add_comment(ticket["id"], f"Have you tried {CANARY}?", author_id=agent["id"])
    z.add_comment(ticket["id"], "Looks like SSO", author_id=agent["id"], public=False)
    z.update_ticket(ticket["id"], actor_id=agent["id"], status="pending", assignee_id=agent["id"])
    z.update_ticket(ticket["id"], group_id=group["id"], tags=["hardware"], priority="urgent")
    app.settle()
    return z.payloads_for(ticket["id"])


def _helpdesk_seeds() -> list[dict[str, Any]]:
    """The README's example, and the other event types."""
    ticket = {
        "id": "4471",
        "subject": f"Checkout fails {CANARY}",
        "description": "…",
        "status": "open",
        "priority": "high",
        "url": "https://desk.example/tickets/4471",
        "requester": {"id": "u1", "name": "Dana", "email": "dana@example.com"},
        "organization": "Initech",
        "assignee": {"id": "a7", "name": "Ada"},
        "group": "Payments",
        "brand": "Initech Shop",
        "tags": ["checkout"],
        "created_at": "2026-01-01T09:58:00Z",
        "updated_at": "2026-01-01T10:05:00Z",
        "sla_due_at": "2026-01-01T13:58:00Z",
    }
    comment = {
        "id": "c91",
        "body": f"Card declined {CANARY}",
        "public": True,
        "author": {"name": "Dana"},
        "author_is_agent": False,
    }
    base = {"source": "freshdesk", "occurred_at": "2026-01-01T10:05:00Z", "ticket": ticket}
    return [
        {**base, "event_id": "evt-1", "type": "ticket.created"},
        {**base, "event_id": "evt-2", "type": "ticket.comment_added", "comment": comment},
        {**base, "type": "ticket.solved"},
        {**base, "event_id": "evt-4", "type": "ticket.updated", "source": "intercom"},
    ]


def _jira_seeds(app: Any) -> list[dict[str, Any]]:
    """`jira:issue_updated` deliveries the Jira simulator sent for the life of a bug filed
    from a ticket thread (so that they change what the app keeps)."""
    j = app.jira
    _, root = ticket_thread(app, f"Refund button missing {CANARY}")
    file_bug(app, root)
    app.settle()
    key = "SUP-1"
    j.transition(key, "In Progress")
    j.close(key)
    j.reopen(key)
    app.settle()
    return [copy.deepcopy(d.payload) for d in j.deliveries]


def test_zendesk_webhook_fuzz(bugdesk: Any) -> None:
    seeds = _zendesk_seeds(bugdesk)
    assert len(seeds) >= 4

    def good() -> None:
        event = copy.deepcopy(seeds[0])
        event["id"] = str(uuid.uuid4())
        assert _zendesk(bugdesk, json.dumps(event).encode()) == 200

    run(
        bugdesk,
        "/webhooks/zendesk",
        json_bodies(seeds),
        lambda body: count("/webhooks/zendesk", _zendesk(bugdesk, body)),
        good,
    )


def test_helpdesk_webhook_fuzz(bugdesk: Any) -> None:
    seeds = _helpdesk_seeds()

    def good() -> None:
        event = {**seeds[1], "event_id": str(uuid.uuid4())}
        assert _helpdesk(bugdesk, json.dumps(event).encode()) == 200

    run(
        bugdesk,
        "/webhooks/helpdesk",
        json_bodies(seeds),
        lambda body: count("/webhooks/helpdesk", _helpdesk(bugdesk, body)),
        good,
    )


def test_jira_webhook_fuzz(bugdesk: Any) -> None:
    seeds = _jira_seeds(bugdesk)
    assert seeds and all(s["webhookEvent"] == "jira:issue_updated" for s in seeds)

    def good() -> None:
        assert _jira(bugdesk, json.dumps(seeds[-1]).encode()) == 200

    run(
        bugdesk,
        "/webhooks/jira",
        json_bodies(seeds),
        lambda body: count("/webhooks/jira", _jira(bugdesk, body)),
        good,
    )
