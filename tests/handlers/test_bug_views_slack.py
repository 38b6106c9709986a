"""`/support bugs` over signed HTTP: bugs filed and linked through the real Slack flows, ranked
by their tickets, one bug's tickets with links to their threads, and the error answers."""

from __future__ import annotations

import json
from typing import Any

from bug_helpers import SUPPORT, file_bug, link_ticket, refresh_meta, ticket_thread

from bot.bugs.models import Bug
from bot.db import transaction
from bot.ids import BugField as F


def _support(app: Any, text: str, user: str = "U0AGENT") -> tuple[str, str]:
    """Run `/support <text>`; the ephemeral answer's fallback text and its blocks as JSON."""
    answer = app.driver.command("/support", text, user_id=user, channel_id=SUPPORT)
    assert answer.status == 200
    body = answer.json
    assert body.get("response_type") == "ephemeral"
    return body["text"], json.dumps(body.get("blocks") or [], ensure_ascii=False)


def _thread(root: dict[str, Any]) -> str:
    return f"https://slack.com/archives/{SUPPORT}/p{root['ts'].replace('.', '')}"


def _two_tickets_on_one_bug(app: Any, summary: str = "Checkout fails") -> tuple[dict, dict]:
    """SUP-1 filed (component Billing) from one ticket's thread, linked from another's; the
    second ticket is then solved. Returns the two root messages."""
    refresh_meta(app)
    _, first = ticket_thread(app, "Checkout fails")
    second_ticket, second = ticket_thread(app, "Refund stuck")
    answer = file_bug(app, first, **{F.SUMMARY: summary, F.COMPONENTS: ["SUP:Billing"]})
    assert answer.errors is None
    app.settle()
    link_ticket(app, second, "SUP-1", user="U0LEAD")
    app.zendesk.solve(second_ticket["id"])
    app.settle()
    return first, second


def test_support_bugs_ranks_the_filed_bug_with_its_counts_and_component(bugdesk: Any) -> None:
    _two_tickets_on_one_bug(bugdesk)
    with transaction(bugdesk.runtime.factory) as session:
        bug = session.query(Bug).filter_by(key="SUP-1").one()
        assert bug.components == ["Billing"]  # recorded from Jira's answer to the filing
        assert bug.jira_created_at is not None
    text, blocks = _support(bugdesk, "bugs")
    assert "SUP-1 (1 open/2)" in text
    assert f"<{bugdesk.jira.browse_url('SUP-1')}|SUP-1> Checkout fails" in blocks
    assert "*1 open* / 2 tickets" in blocks and "*To Do*" in blocks
    assert "age 0m" in blocks and "last linked 0m ago" in blocks
    assert "• *Billing* — 1 bug, *1 open* / 2 tickets" in blocks
    text, blocks = _support(bugdesk, "bugs component billing")
    assert "SUP-1" in text
    text, blocks = _support(bugdesk, "bugs component Mobile")
    assert text == "No Jira bugs in component *Mobile* have linked tickets."


def test_support_bugs_key_lists_the_linked_tickets_with_thread_links(bugdesk: Any) -> None:
    first, second = _two_tickets_on_one_bug(bugdesk)
    bugdesk.clock.advance(minutes=4)  # signatures stay fresh within 5 minutes
    text, blocks = _support(bugdesk, "bugs sup-1")
    assert text == "SUP-1: 1 open of 2 linked tickets"
    assert "*1 open* / 2 tickets" in blocks and "Billing" in blocks
    # Open first: the filed ticket, then the solved one linked by the lead.
    filed = blocks.index("Checkout fails")
    linked = blocks.index("Refund stuck")
    assert filed < linked
    assert "filed by <@U0AGENT> 4m ago" in blocks and "linked by <@U0LEAD> 4m ago" in blocks
    assert f"<{_thread(first)}|thread>" in blocks and f"<{_thread(second)}|thread>" in blocks
    assert "_solved_" in blocks


def test_unknown_and_malformed_keys_get_clear_answers(bugdesk: Any) -> None:
    text, blocks = _support(bugdesk, "bugs SUP-404")
    assert text == "No tickets linked to SUP-404" and "nothing to list" in blocks
    answer = bugdesk.driver.command(
        "/support", "bugs <!here>", user_id="U0AGENT", channel_id=SUPPORT
    )
    warning = answer.json["text"]
    assert "is not a Jira issue key like SUP-123" in warning and "<!here>" not in warning
    assert "Usage: `/support bugs [<KEY> | component <name>]`" in warning
    text, blocks = _support(bugdesk, "bugs component <!here>")
    assert "&lt;!here&gt;" in text and "<!here>" not in text + blocks
    text, _ = _support(bugdesk, "help bugs")
    assert text.startswith("/support bugs [<KEY> | component <name>]")


def test_a_summary_with_a_mention_is_shown_escaped(bugdesk: Any) -> None:
    _two_tickets_on_one_bug(bugdesk, summary="Payments down <!channel> & <@U0LEAD>")
    for query in ("bugs", "bugs SUP-1"):
        _, blocks = _support(bugdesk, query)
        assert "Payments down &lt;!channel&gt; &amp; &lt;@U0LEAD&gt;" in blocks
        assert "<!channel>" not in blocks


def test_components_changed_in_jira_move_the_load_after_the_webhook(bugdesk: Any) -> None:
    _two_tickets_on_one_bug(bugdesk)
    bugdesk.jira.edit("SUP-1", components=["Backend", "Mobile"])
    bugdesk.settle()
    _, blocks = _support(bugdesk, "bugs")
    assert "Backend, Mobile" in blocks and "*Billing*" not in blocks
    assert "• *Backend* — 1 bug, *1 open* / 2 tickets" in blocks
    assert "• *Mobile* — 1 bug, *1 open* / 2 tickets" in blocks
