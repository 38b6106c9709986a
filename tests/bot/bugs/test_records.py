"""The bug rules as plain functions: reading Jira's answers, ordering observations, deciding
transitions once, checking filings, and fitting notifications into Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.bugs import notices, records
from bot.bugs.filing import Filing, jira_fields, validate_filing
from bot.bugs.models import BugTransition
from bot.bugs.render import messages as render
from bot.bugs.state import BugState, jira_time, state_of_issue, state_of_webhook
from bot.db import transaction
from bot.ids import BugField as F
from bot.models import OutboxMessage, PendingCall
from bot.render.blocks import MESSAGE_BLOCKS, SECTION_TEXT
from bot.tickets.models import Ticket

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONFIG = records.BugConfig(project_key="SUP", notes=True)


def _issue(category: str, name: str, changed: str, updated: str | None = None) -> dict[str, Any]:
    return {
        "key": "sup-7",
        "fields": {
            "summary": "Checkout fails",
            "status": {"name": name, "statusCategory": {"key": category, "name": name}},
            "resolution": {"name": "Erledigt"} if category == "done" else None,
            "fixVersions": [{"name": "2.4"}, {"id": "9"}],
            "statuscategorychangedate": changed,
            "updated": updated or changed,
        },
    }


def test_issue_state_reads_the_category_key_not_the_localised_name() -> None:
    state = state_of_issue(_issue("done", "Готово", "2026-01-05T10:00:00.000+0000"), "u")
    assert (state.key, state.category, state.status) == ("SUP-7", "done", "Готово")
    assert (state.resolution, state.fix_versions, state.url) == ("Erledigt", ["2.4"], "u")
    assert state.category_changed_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert BugState.from_json(state.to_json()) == state
    with pytest.raises(ValueError, match="statusCategory"):
        state_of_issue({"key": "SUP-1", "fields": {"status": {"name": "Done"}}})


def test_jira_times_in_every_shape_jira_writes_them() -> None:
    assert jira_time("2026-01-05T10:00:00.123+0000") == datetime(
        2026, 1, 5, 10, 0, 0, 123000, tzinfo=UTC
    )
    assert jira_time("2026-01-05T12:00:00.000+0200") == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert jira_time("2026-01-05T10:00:00Z") == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert jira_time("2026-01-05T10:00:00") is None  # naive: not trusted
    assert jira_time(None) is None and jira_time("soon") is None


def test_a_webhook_without_updated_is_ordered_by_its_timestamp() -> None:
    issue = _issue("new", "To Do", "2026-01-05T10:00:00.000+0000")
    del issue["fields"]["updated"]
    state = state_of_webhook({"timestamp": 1767607200000, "issue": issue})
    assert state.updated_at == datetime(2026, 1, 5, 10, tzinfo=UTC)


@pytest.fixture
def ticket(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as session:
        row = Ticket(
            provider="zendesk",
            external_id="41",
            subject="Card declined",
            description="",
            status="open",
            tags=[],
            channel_id="C0SUPPORT",
            routed_channel_id="C0SUPPORT",
            root_key="ticket:zendesk:41:root",
            version=1,
            published_version=1,
            first_seen_at=T0,
        )
        session.add(row)
        session.flush()
        bug = records.record_bug(session, BugState(key="SUP-7", category="new"), T0)
        records.record_link(session, bug, row, how="filed", user_id="U0ADA", now=T0)
        return row.id


def _see(factory: sessionmaker[Session], category: str, minute: int, **extra: Any) -> Any:
    changed = T0 + timedelta(minutes=minute)
    state = BugState(
        key="SUP-7",
        category=category,
        status=extra.pop("status", category),
        category_changed_at=changed,
        updated_at=changed + timedelta(seconds=extra.pop("later", 0)),
    )
    with transaction(factory) as session:
        return notices.observe(
            session, state, source=extra.pop("source", "poll"), now=changed, config=CONFIG
        )


def _outbox(factory: sessionmaker[Session]) -> list[str]:
    with transaction(factory) as session:
        return [r.key for r in session.query(OutboxMessage).order_by(OutboxMessage.id)]


def test_a_transition_reported_twice_is_recorded_and_told_once(
    factory: sessionmaker[Session], ticket: int
) -> None:
    assert _see(factory, "done", 5, source="webhook").transition == "closed"
    again = _see(factory, "done", 5)
    assert again == notices.Observed()  # same state: nothing to decide
    later_edit = _see(factory, "done", 5, later=30)  # e.g. a fix version added afterwards
    assert later_edit.transition is None
    keys = _outbox(factory)
    assert [k.split(":")[-2] for k in keys] == ["ticket", "dm"]
    with transaction(factory) as session:
        assert session.query(BugTransition).count() == 1
        [note] = session.query(PendingCall).all()
        assert note.kind == notices.SYSTEM_NOTE and "SUP-7" in note.payload["body"]


def test_an_older_observation_changes_nothing(factory: sessionmaker[Session], ticket: int) -> None:
    _see(factory, "done", 5)
    stale = _see(factory, "indeterminate", 3)
    assert stale.ignored == "older than what is known"
    assert len(_outbox(factory)) == 2


def test_entering_done_later_than_recorded_means_closed_again(
    factory: sessionmaker[Session], ticket: int
) -> None:
    assert _see(factory, "done", 5).transition == "closed"
    assert _see(factory, "done", 9).transition == "closed"  # the reopen in between was lost
    assert _see(factory, "new", 12).transition == "reopened"
    assert _see(factory, "indeterminate", 14).transition is None  # still not done
    with transaction(factory) as session:
        assert [t.kind for t in session.query(BugTransition).order_by(BugTransition.id)] == [
            "closed",
            "closed",
            "reopened",
        ]


def test_unknown_bugs_are_ignored(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        result = notices.observe(
            session, BugState(key="NOPE-1", category="done"), source="poll", now=T0, config=CONFIG
        )
    assert result.ignored == "not a linked bug"


META = {
    "projects": [
        {"key": "SUP", "issue_types": ["Bug", "Task"], "components": ["Backend", "Billing"]},
        {"key": "OPS", "issue_types": ["Task"], "components": ["Infra"]},
    ],
    "priorities": ["High", "Low"],
}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({}, {}),
        ({"summary": " "}, {F.SUMMARY}),
        ({"summary": "x" * 256}, {F.SUMMARY}),
        ({"project": "sup"}, {F.PROJECT}),
        ({"issue_type": "Epic"}, {F.ISSUE_TYPE}),
        ({"components": ["SUP:Backend", "Frontend"]}, {F.COMPONENTS}),
        ({"project": "OPS", "issue_type": "Task", "components": ["OPS:Infra"]}, set()),
        ({"project": "NEW", "components": ["Anything"]}, set()),  # not cached: Jira decides
    ],
)
def test_filings_are_checked_against_the_cached_metadata(
    changes: dict[str, Any], errors: set[str]
) -> None:
    base = {"project": "SUP", "issue_type": "Bug", "summary": "Checkout fails"}
    filing = Filing(**{**base, **changes})
    assert set(validate_filing(filing, META)) == set(errors)


def test_jira_fields_use_references_that_need_no_lookups() -> None:
    filing = Filing(
        project="SUP",
        issue_type="Bug",
        summary=" Checkout fails ",
        priority="High",
        components=["SUP:Backend"],
        labels=["vip", "vip", "visa"],
    )
    assert jira_fields(filing) == {
        "project": {"key": "SUP"},
        "issuetype": {"name": "Bug"},
        "summary": "Checkout fails",
        "priority": {"name": "High"},
        "components": [{"name": "Backend"}],
        "labels": ["vip", "visa"],
    }


def test_a_dm_about_a_thousand_tickets_stays_within_slack_limits() -> None:
    tickets = [
        render.WaitingTicket(f"Zendesk #{n}", "Card <declined> " * 10, f"https://z/{n}", "C1")
        for n in range(1000)
    ]
    text, blocks = render.transition_dm(render.BugView("SUP-7", "Checkout"), "closed", tickets)
    assert "1000 of your tickets are waiting on it" in text
    assert len(blocks) <= MESSAGE_BLOCKS
    assert all(len(b["text"]["text"]) <= SECTION_TEXT for b in blocks if b["type"] == "section")
    assert "&lt;declined&gt;" in blocks[1]["text"]["text"]


def test_descriptions_quote_thread_messages_and_end_with_the_links() -> None:
    described = render.filing_description("Steps: pay", [("Ada", "Only Visa")])
    assert described.startswith("Steps: pay") and "*Ada:*\n{quote}Only Visa{quote}" in described
    full = render.description_with_links("x" * 40000, "Zendesk #1", "https://z/1", "https://s/p1")
    assert len(full) < 32767 and full.endswith("(filed from Slack by supportbot)")
    assert "[Zendesk #1|https://z/1]" in full and "Slack thread: [https://s/p1]" in full
