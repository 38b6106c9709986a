"""Nothing a customer, an agent, Jira or Zendesk writes can mention, link or ping in Slack.

One poison string goes into every field people can type that the app renders; every Slack call
the simulator received (message text and blocks, updates, ephemerals, views, acks) is then
checked: Slack parses `text` and mrkdwn for mentions and links, so each must hold the string
escaped (`&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`), and plain_text (headers, buttons, titles)
is shown as typed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from bug_helpers import SUPPORT, file_bug, refresh_meta
from harness import HELPDESK_SECRET, start_app
from rotation_helpers import (
    MONDAY,
    add_workspace,
    cache_workspace,
    chat_support,
    create_rotation,
    seats,
)

from bot import people
from bot.db import transaction
from bot.ids import BugField as F
from integrations.signatures import sign_helpdesk
from scheduling.sweeps import rotations as rotation_sweeps
from scheduling.sweeps import sla as sla_sweep

pytestmark = pytest.mark.travel(MONDAY)

LIVE = ("<!channel>", "<!here>", "<@U0POISON>", "<!subteam^S0POISON", "<https://evil.test", "& ")


def poison(label: str) -> str:
    """A field's value that would ping, link and break mrkdwn if it reached Slack raw."""
    return (
        f"{label} <!channel> <!here> <@U0POISON> <!subteam^S0POISON|@team> "
        "<https://evil.test|click> Tom & Jerry"
    )


def shown(label: str) -> str:
    """How a poisoned field starts once escaped."""
    return f"{label} &lt;!channel&gt; &lt;!here&gt; &lt;@U0POISON&gt;"


def parsed_texts(node: Any) -> Iterator[str]:
    """Every string Slack parses as mrkdwn inside blocks or a view (plain_text is skipped)."""
    if isinstance(node, str):
        try:
            node = json.loads(node)
        except ValueError:
            return
    if isinstance(node, list):
        for item in node:
            yield from parsed_texts(item)
    elif isinstance(node, dict):
        if node.get("type") == "plain_text":
            return
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
            return
        for key, value in node.items():
            if key in ("blocks", "elements", "fields", "accessory", "text", "view", "element"):
                yield from parsed_texts(value)


def everything_sent(app: Any) -> list[tuple[str, str]]:
    """(where, text) for each top-level text and mrkdwn text of every Slack call and answer."""
    found: list[tuple[str, str]] = []
    for call in app.slack.calls:
        if not call.route.startswith(("chat.", "views.")):
            continue
        args = call.args
        if isinstance(args.get("text"), str):
            found.append((f"{call.route} text", args["text"]))
        for key in ("blocks", "view"):
            found += [(f"{call.route} {key}", t) for t in parsed_texts(args.get(key))]
    for entry in app.slack.ephemerals():
        found.append((f"{entry['source']} text", entry["text"] or ""))
        found += [(f"{entry['source']} blocks", t) for t in parsed_texts(entry["blocks"])]
    return found


def assert_escaped(app: Any, labels: list[str]) -> None:
    """No live markup anywhere, and each poisoned field was shown (escaped) somewhere."""
    sent = everything_sent(app)
    leaks = sorted({(where, text) for where, text in sent for bad in LIVE if bad in text})
    assert not leaks, "\n".join(f"{w}: {t[:300]}" for w, t in leaks[:10])
    missing = [label for label in labels if not any(shown(label) in t for _, t in sent)]
    assert not missing, f"never shown: {missing}"
    assert any("Tom &amp; Jerry" in t for _, t in sent)


@pytest.fixture
def world(db_url: str, clock: Any) -> Iterator[Any]:
    """Zendesk and Jira wired to the app; the lead is also a product owner."""
    running = start_app(db_url, clock=clock, zendesk=True, jira=True, product_owners="U0LEAD")
    yield running
    running.stop()


def _poisoned_ticket(app: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    z = app.zendesk
    org = z.add_organization(poison("org"))
    customer = z.add_user(poison("requester"), email="c@globex.test", organization_id=org["id"])
    agent = z.add_agent(poison("agent"), email="a@acme.test")
    group = z.add_group(poison("group"))
    brand = z.add_brand(poison("brand"))
    ticket = z.create_ticket(
        poison("subject"),
        poison("description"),
        requester_id=customer["id"],
        priority="high",
        group_id=group["id"],
        brand_id=brand["id"],
        organization_id=org["id"],
        tags=["tag<!here>&x"],
    )
    app.settle()
    root = next(m for m in app.slack.messages(SUPPORT) if "Zendesk #" in m["text"])
    return ticket, agent, root


def test_helpdesk_fields_comments_changes_alerts_queue_and_home_are_escaped(world: Any) -> None:
    ticket, agent, root = _poisoned_ticket(world)
    z = world.zendesk
    world.clock.advance(minutes=1)
    z.add_comment(ticket["id"], poison("comment"), author_id=agent["id"])
    world.clock.advance(minutes=1)
    z.add_comment(ticket["id"], poison("note"), author_id=agent["id"], public=False)
    world.clock.advance(minutes=1)
    z.update_ticket(ticket["id"], status="open", assignee_id=agent["id"], actor_id=agent["id"])
    world.settle()
    now = world.clock.advance(hours=20)  # resolution at risk
    with transaction(world.runtime.factory) as session:
        sla_sweep.sweep(session, now)
    world.settle()
    for text in ("queue", "stats 7d", "digest preview"):
        world.driver.command("/support", text, user_id="U0LEAD", channel_id=SUPPORT)
    world.driver.app_home_opened("U0LEAD")
    world.settle()
    assert len(world.slack.replies(SUPPORT, root["ts"])) >= 4
    assert_escaped(
        world,
        ["subject", "description", "requester", "org", "agent", "group", "brand", "comment"]
        + ["note"],
    )
    assert any("tag&lt;!here&gt;&amp;x" in t for _, t in everything_sent(world))


def test_jira_summary_resolution_and_fix_versions_are_escaped(world: Any) -> None:
    refresh_meta(world)
    world.jira.add_resolution(poison("resolution"))
    world.slack.add_user("U0AGENT", "agent", real_name="Ada Agent")
    _, _, root = _poisoned_ticket(world)
    file_bug(world, root, **{F.SUMMARY: poison("summary")})
    world.settle()
    world.jira.close("SUP-1", resolution=poison("resolution"), fix_version=poison("version"))
    world.settle()
    for text in ("bugs", "bugs SUP-1"):
        world.driver.command("/support", text, user_id="U0LEAD", channel_id=SUPPORT)
    world.driver.app_home_opened("U0LEAD")
    world.settle()
    assert world.slack.dms("U0AGENT"), "the agent who filed the bug hears it is done"
    assert_escaped(world, ["subject", "summary", "resolution", "version"])


def test_team_handles_are_escaped(app: Any) -> None:
    """Slack allows only letters, digits, `-`, `_` and `.` in a group's handle; the reports
    escape it all the same."""
    add_workspace(app.slack)
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        cache_workspace(session, now)
        people.replace_group(
            session,
            "S0BACK",
            handle=poison("team"),
            name="Backend",
            members=["U0BE1", "U0BE2", "U0BE3"],
            now=now,
        )
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    start = now + timedelta(hours=1)
    spec = chat_support(timezone="UTC", days=days, start=f"{start:%H:%M}", teams=["S0BACK"])
    rotation_id = create_rotation(app.runtime.factory, now, spec)
    first = seats(app.runtime.factory, rotation_id)[0]
    with transaction(app.runtime.factory) as session:
        rotation_sweeps.tick(session, first.window_closes_at, default_leads=["U0LEAD"])
    app.clock.set(first.window_closes_at + timedelta(hours=1))
    for text in ("noshows", "stats 7d"):
        app.driver.command("/support", text, user_id="U0LEAD", channel_id=SUPPORT)
    app.settle()
    assert_escaped(app, ["team"])


def test_a_generic_ticket_url_cannot_smuggle_a_mention_or_a_link(app: Any) -> None:
    """A ticket's URL from the generic webhook goes inside Slack's `<url|label>`: characters
    that would end the link early are encoded, and a non-http(s) URL is not linked at all."""
    urls = {
        "FD-1": "https://x.test/a> <!channel> <https://evil.test|click",
        "FD-2": "javascript:alert(1)",
    }
    for number, (ticket_id, url) in enumerate(urls.items()):
        body = json.dumps(
            {
                "type": "ticket.created",
                "event_id": f"e{number}",
                "source": "freshdesk",
                "ticket": {
                    "id": ticket_id,
                    "subject": "Checkout fails",
                    "status": "open",
                    "url": url,
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
        answer = requests.post(
            f"{app.url}/webhooks/helpdesk", data=body, headers=headers, timeout=10
        )
        assert answer.status_code == 200
    app.settle()
    app.driver.command("/support", "queue", user_id="U0LEAD", channel_id=SUPPORT)
    app.settle()
    sent = everything_sent(app)
    roots = [t for where, t in sent if "FD-1" in t or "FD-2" in t]
    assert roots, "the tickets reached Slack"
    leaks = sorted({(where, text) for where, text in sent for bad in LIVE if bad in text})
    assert not leaks, "\n".join(f"{w}: {t[:300]}" for w, t in leaks[:10])
    assert any(
        "<https://x.test/a%3E%20%3C!channel%3E%20%3Chttps://evil.test%7Cclick|" in t for t in roots
    )
    assert not any("javascript:" in t for _, t in sent)
