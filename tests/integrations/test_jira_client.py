"""The Jira client against the Jira simulator: the requests it makes, and what its errors say."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.jira import JiraClient, JiraError
from integrations.simulators.jira.server import JiraSimulator

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim() -> Iterator[JiraSimulator]:
    simulator = JiraSimulator().start()
    assert isinstance(simulator, JiraSimulator)
    yield simulator
    simulator.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(sim: JiraSimulator, clock: Clock) -> JiraClient:
    return JiraClient(sim.url, sim.email, sim.api_token, timeout=5, clock=clock)


def _routes(sim: JiraSimulator) -> list[tuple[str, int]]:
    return [(c.route, c.status) for c in sim.calls]


def test_a_new_client_asks_nothing_and_searches_in_one_request_per_page(
    sim: JiraSimulator, client: JiraClient
) -> None:
    keys = [sim.create_issue(summary=f"Bug {n}") for n in range(150)]
    sim.close(keys[7], deliver="drop")
    assert _routes(sim) == []  # no server info, no field list
    found, missing = client.statuses([*keys[:100], "SUP-999", "not a key"])
    assert len(found) == 100 and missing == ["not a key", "SUP-999"]
    categories = {i["key"]: i["fields"]["status"]["statusCategory"]["key"] for i in found}
    assert categories[keys[7]] == "done" and categories[keys[8]] == "new"
    assert _routes(sim) == [("search.jql", 400), ("search.jql", 200)]
    [_, search] = sim.calls_to("search.jql")
    assert search.method == "POST" and search.args["maxResults"] == 100
    sim.reset_calls()
    assert len(client.search("Bug", limit=120)) == 120
    assert _routes(sim) == [("search.jql", 200), ("search.jql", 200)]  # nextPageToken


def test_remote_links_upsert_by_global_id_through_the_library(
    sim: JiraSimulator, client: JiraClient
) -> None:
    key = client.create_issue(
        {"project": {"key": "SUP"}, "issuetype": {"name": "Bug"}, "summary": "Refunds fail"}
    )["key"]
    sim.reset_calls()
    client.add_remote_link(key, url="https://help.example.com/1", title="#1", global_id="t-1")
    client.add_remote_link(key, url="https://help.example.com/1", title="#1 VIP", global_id="t-1")
    # The bot's account is no Jira administrator: the library's application-link lookup is
    # refused each time, and the link is added anyway.
    assert _routes(sim) == [
        ("applinks.list", 403),
        ("remotelink.create", 201),
        ("applinks.list", 403),
        ("remotelink.create", 200),
    ]
    assert [link["object"]["title"] for link in sim.remote_links(key)] == ["#1 VIP"]
    assert client.delete_remote_link(key, "t-1") is True
    assert client.delete_remote_link(key, "t-1") is False
    assert sim.remote_links(key) == []
    comment = client.add_comment(key, "Linked from the support thread")
    assert [c["id"] for c in sim.comments(key)] == [comment]


def test_an_administrator_account_lists_application_links_once(sim: JiraSimulator) -> None:
    sim.admin = True
    client = JiraClient(sim.url, sim.email, sim.api_token, timeout=5)
    key = sim.create_issue(summary="Refunds fail")
    for n in range(2):
        client.add_remote_link(key, url=f"https://e.example/{n}", title="t", global_id=f"g{n}")
    assert _routes(sim) == [
        ("applinks.list", 200),
        ("remotelink.create", 201),
        ("remotelink.create", 201),
    ]


def test_errors_keep_jira_messages_but_no_credentials_or_bodies(
    sim: JiraSimulator, client: JiraClient
) -> None:
    body = {"errorMessages": ["Field 'x' is bad"], "errors": {"summary": "Too long"}}
    sim.fail("search.jql", 400, body)
    with pytest.raises(JiraError) as exc:
        client.search("refund")
    assert exc.value.status == 400 and exc.value.permanent
    assert exc.value.messages == ["Field 'x' is bad"]
    assert exc.value.field_errors == {"summary": "Too long"}
    sim.fail("issue.create", 400, body)
    with pytest.raises(JiraError) as created:
        client.create_issue(
            {"project": {"key": "SUP"}, "issuetype": {"name": "Bug"}, "summary": "secret text"}
        )
    for err in (exc.value, created.value):
        text = f"{err} {err.reason!r} {err.args!r}"
        assert sim.api_token not in text and "Authorization" not in text
        assert "secret text" not in text and "refund" not in text
    stranger = JiraClient(sim.url, sim.email, "wrong-token", timeout=5)
    with pytest.raises(JiraError) as refused:
        stranger.issue("SUP-1")
    assert refused.value.status == 401 and "wrong-token" not in str(refused.value)
    assert "JIRA_API_TOKEN" in refused.value.reason


@pytest.mark.parametrize("route", ["search.jql", "issue.get"])
def test_retry_after_pauses_the_client_for_every_call(
    sim: JiraSimulator, client: JiraClient, clock: Clock, route: str
) -> None:
    key = sim.create_issue(summary="Refunds fail")
    sim.fail(route, 429, {"errorMessages": ["Rate limit exceeded."]}, headers={"Retry-After": "30"})
    with pytest.raises(JiraError) as exc:
        client.statuses([key]) if route == "search.jql" else client.issue(key)
    assert (exc.value.status, exc.value.retry_after) == (429, 30.0)
    asked = sim.request_count
    clock.now += 20
    with pytest.raises(JiraError) as paused:
        client.add_comment(key, "hello")
    assert paused.value.status == 429 and paused.value.retry_after == pytest.approx(10.0)
    assert sim.request_count == asked  # nothing sent while paused
    clock.now += 11
    assert client.statuses([key])[0][0]["key"] == key


def test_the_client_touches_no_private_member_of_the_library() -> None:
    tree = ast.parse((ROOT / "integrations" / "jira.py").read_text())
    private = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    assert private == []
