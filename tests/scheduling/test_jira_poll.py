"""The Jira poll: the fallback for lost webhooks, exactly once alongside them, in batches."""

from __future__ import annotations

from typing import Any

from bug_helpers import bug_replies, file_bug, poll, ticket_thread

from bot.bugs import records
from bot.bugs.models import Bug, BugTransition
from bot.bugs.state import BugState
from bot.db import transaction
from bot.models import AppState
from bot.tickets.models import Ticket
from scheduling.jobs import build_jobs


def _filed(app: Any) -> tuple[dict, dict]:
    ticket, root = ticket_thread(app)
    file_bug(app, root)
    app.settle()
    app.clock.advance(minutes=1)
    return ticket, root


def _link_many(app: Any, count: int) -> list[str]:
    """`count` Jira issues linked to one ticket, recorded as the app would after linking."""
    keys = [app.jira.create_issue(summary=f"Bug {n}") for n in range(count)]
    ticket, _ = ticket_thread(app, "Many bugs")
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        row = session.query(Ticket).filter_by(external_id=str(ticket["id"])).one()
        for key in keys:
            bug = records.record_bug(session, BugState(key=key, category="new"), now)
            records.record_link(session, bug, row, how="linked", user_id="U0AGENT", now=now)
    return keys


def _transitions(app: Any) -> list[tuple[str, str]]:
    with transaction(app.runtime.factory) as session:
        rows = session.query(BugTransition).order_by(BugTransition.id).all()
        return [(r.kind, r.source) for r in rows]


def test_a_lost_webhook_is_caught_by_the_poll_and_told_once(bugdesk: Any) -> None:
    ticket, root = _filed(bugdesk)
    lost = bugdesk.jira.close("SUP-1", fix_version="3.0", deliver="drop")
    bugdesk.settle()
    assert bug_replies(bugdesk, root, "is done") == []
    assert poll(bugdesk) == {"bugs": 1, "transitions": 1, "gone": 0}
    bugdesk.settle()
    [done] = bug_replies(bugdesk, root, "is done")
    assert "3.0" in done["text"]
    assert len(bugdesk.slack.dms("U0AGENT")) == 1
    assert poll(bugdesk)["transitions"] == 0  # done lately: still watched for a reopen
    bugdesk.jira.redeliver(lost.identifier)  # the webhook turns up after all
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "is done")) == 1
    assert _transitions(bugdesk) == [("closed", "poll")]


def test_webhook_and_poll_for_the_same_transition_notify_exactly_once(bugdesk: Any) -> None:
    _, root = _filed(bugdesk)
    bugdesk.jira.close("SUP-1")  # webhook first, then the poll
    bugdesk.settle()
    poll(bugdesk)
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "is done")) == 1
    bugdesk.clock.advance(minutes=5)
    bugdesk.jira.reopen("SUP-1", deliver="queue")  # the poll first, then the webhook
    assert poll(bugdesk)["transitions"] == 1
    bugdesk.jira.flush()
    bugdesk.settle()
    assert len(bug_replies(bugdesk, root, "was reopened")) == 1
    assert _transitions(bugdesk) == [("closed", "webhook"), ("reopened", "poll")]
    assert len(bugdesk.slack.dms("U0AGENT")) == 2


def test_reopen_and_close_both_lost_between_polls_is_told_as_closed_again(bugdesk: Any) -> None:
    _, root = _filed(bugdesk)
    bugdesk.jira.close("SUP-1")
    bugdesk.settle()
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.reopen("SUP-1", deliver="drop")
    bugdesk.clock.advance(minutes=1)
    bugdesk.jira.close("SUP-1", resolution="Duplicate", deliver="drop")
    assert poll(bugdesk)["transitions"] == 1
    bugdesk.settle()
    closes = bug_replies(bugdesk, root, "is done")
    assert len(closes) == 2 and "Duplicate" in closes[1]["text"]


def test_the_poll_reads_bugs_in_batches_of_a_hundred_keys(bugdesk: Any) -> None:
    keys = _link_many(bugdesk, 250)
    bugdesk.jira.reset_calls()
    assert poll(bugdesk) == {"bugs": 250, "transitions": 0, "gone": 0}
    searches = bugdesk.jira.calls_to("search.jql")
    assert len(searches) == 3 and bugdesk.jira.request_count == 3
    assert sorted(len(c.args["jql"].split(",")) for c in searches) == [50, 100, 100]
    with transaction(bugdesk.runtime.factory) as session:
        assert session.query(Bug).filter(Bug.polled_at.is_(None)).count() == 0
    bugdesk.jira.close(keys[42], deliver="drop")
    assert poll(bugdesk)["transitions"] == 1


def test_a_rate_limited_poll_pauses_for_retry_after(bugdesk: Any) -> None:
    _link_many(bugdesk, 3)
    bugdesk.jira.rate_limit(times=1, retry_after=120)
    assert poll(bugdesk) == {"bugs": 0, "transitions": 0, "gone": 0, "paused": 1}
    with transaction(bugdesk.runtime.factory) as session:
        assert "paused_until" in session.get(AppState, "jira.poll").value
    asked = bugdesk.jira.request_count
    bugdesk.clock.advance(seconds=60)
    assert poll(bugdesk) == {"paused": 1}
    assert bugdesk.jira.request_count == asked
    bugdesk.clock.advance(seconds=61)
    assert poll(bugdesk)["bugs"] == 3
    with transaction(bugdesk.runtime.factory) as session:
        assert "paused_until" not in session.get(AppState, "jira.poll").value


def test_an_issue_deleted_in_jira_does_not_stop_the_others(bugdesk: Any) -> None:
    keys = _link_many(bugdesk, 3)
    bugdesk.jira.delete_issue(keys[1])
    bugdesk.jira.close(keys[2], deliver="drop")
    assert poll(bugdesk) == {"bugs": 2, "transitions": 1, "gone": 1}
    with transaction(bugdesk.runtime.factory) as session:
        assert records.keys_to_poll(session, bugdesk.clock.now()) == [keys[0], keys[2]]


def test_jira_jobs_are_scheduled_only_with_jira(bugdesk: Any, app: Any) -> None:
    runtime = bugdesk.runtime
    jobs = {j.name: j for j in build_jobs(runtime.factory, runtime.clients, runtime.settings)}
    assert (jobs["jira_poll"].seconds, jobs["jira_meta"].seconds) == (300.0, 3600.0)
    assert jobs["jira_meta"].run(bugdesk.clock.now()) == {"projects": 1}
    plain = app.runtime
    names = {j.name for j in build_jobs(plain.factory, plain.clients, plain.settings)}
    assert not names & {"jira_poll", "jira_meta"}
