"""The Jira simulator, driven by the real `jira` library and `requests` over loopback HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jira
import pytest
import requests
from jira.exceptions import JIRAError

from integrations.signatures import verify_jira
from integrations.simulators.jira.server import JiraSimulator

START = 1_700_000_000.0
SECRET = "jira-hook-secret"
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
NOT_ON_SCREEN = (
    "Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown."
)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Receiver:
    """A loopback webhook endpoint recording what arrives and answering scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib hook name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = self.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/jira"

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.fixture
def sim(receiver: Receiver, clock: FakeClock) -> Iterator[JiraSimulator]:
    simulator = JiraSimulator(webhook_url=receiver.url, webhook_secret=SECRET, clock=clock)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim: JiraSimulator) -> jira.JIRA:
    return jira.JIRA(
        server=sim.url, basic_auth=(sim.email, sim.api_token), max_retries=0, timeout=5
    )


def rest(sim: JiraSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{sim.url}/rest/api/2/{path}", auth=(sim.email, sim.api_token), timeout=5, **kwargs
    )


def new_bug(client: jira.JIRA, summary: str = "Checkout fails", **fields: Any) -> Any:
    base = {"project": {"key": "SUP"}, "issuetype": {"name": "Bug"}, "summary": summary}
    return client.create_issue(fields={**base, **fields})


def field_errors(exc: pytest.ExceptionInfo[JIRAError]) -> dict[str, str]:
    assert exc.value.status_code == 400
    body = exc.value.response.json()
    assert body["errorMessages"] == []
    return body["errors"]


# ---- library basics ------------------------------------------------------------------------
def test_constructor_reads_cloud_server_info(sim: JiraSimulator, client: jira.JIRA) -> None:
    assert client._is_cloud
    assert [c.path for c in sim.calls_to("serverInfo")] == ["/rest/api/2/serverInfo"]
    assert client.myself()["emailAddress"] == sim.email
    assert client.project("SUP").name == "Support"
    assert "Backend" in [c.name for c in client.project_components("SUP")]
    assert [p.name for p in client.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    assert {t.name for t in client.issue_types()} >= {"Bug", "Task", "Story"}
    assert [c.key for c in client.statuscategories()] == [
        "undefined",
        "new",
        "indeterminate",
        "done",
    ]
    assert {"clauseNames": ["id", "issue", "issuekey", "key"]}.items() <= next(
        f for f in client.fields() if f["id"] == "issuekey"
    ).items()


def test_create_issue_with_fields_then_prefetch(sim: JiraSimulator, client: jira.JIRA) -> None:
    issue = new_bug(
        client,
        description="Steps: pay with a saved card",
        priority={"name": "High"},
        components=[{"name": "Billing"}],
        labels=["support", "ticket-42"],
    )
    assert issue.key == "SUP-1"
    assert issue.permalink() == sim.browse_url("SUP-1")
    fields = issue.fields
    assert (fields.summary, fields.description) == (
        "Checkout fails",
        "Steps: pay with a saved card",
    )
    assert (fields.status.name, fields.status.statusCategory.key) == ("To Do", "new")
    assert fields.resolution is None and fields.resolutiondate is None
    assert (fields.priority.name, [c.name for c in fields.components]) == ("High", ["Billing"])
    assert (fields.labels, fields.issuetype.name, fields.project.key) == (
        ["support", "ticket-42"],
        "Bug",
        "SUP",
    )
    assert fields.reporter.emailAddress == sim.email
    assert [c.route for c in sim.calls[-2:]] == ["issue.create", "issue.get"]


def test_create_with_key_string_and_type_name_resolves_ids(
    sim: JiraSimulator, client: jira.JIRA
) -> None:
    issue = client.create_issue(project="SUP", issuetype="Task", summary="Slow search")
    assert issue.fields.issuetype.name == "Task"
    assert [c.route for c in sim.calls_to("project.get")] == ["project.get", "project.get"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"summary": None}, {"summary": "You must specify a summary of the issue."}),
        ({"components": [{"name": "Nope"}]}, {"components": "Component name 'Nope' is not valid"}),
        ({"priority": {"name": "Urgent"}}, {"priority": "Priority name 'Urgent' is not valid"}),
        ({"issuetype": {"name": "Epic"}}, {"issuetype": "The issue type selected is invalid."}),
        ({"project": {"key": "NOPE"}}, {"project": "Specify a valid project ID or key"}),
        ({"description": {"type": "doc"}}, {"description": "Operation value must be a string"}),
        (
            {"labels": ["two words"]},
            {"labels": "The label 'two words' contains spaces which is invalid."},
        ),
        (
            {"customfield_1": "x"},
            {"customfield_1": NOT_ON_SCREEN},
        ),  # fmt: skip
    ],
)
def test_bad_fields_are_field_errors(
    client: jira.JIRA, fields: dict[str, Any], expected: dict[str, str]
) -> None:
    with pytest.raises(JIRAError) as exc:
        new_bug(client, **fields)
    assert field_errors(exc) == expected


def test_project_required_fields(sim: JiraSimulator, client: jira.JIRA) -> None:
    sim.add_project("OPS", "Operations", components=["Infra"], required_fields=["components"])
    base = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Disk full"}
    with pytest.raises(JIRAError) as exc:
        client.create_issue(fields=base)
    assert field_errors(exc) == {"components": "Components is required."}
    issue = client.create_issue(fields={**base, "components": [{"name": "Infra"}]})
    assert issue.key == "OPS-1"


def test_unknown_issue_is_404(client: jira.JIRA) -> None:
    with pytest.raises(JIRAError) as exc:
        client.issue("SUP-404")
    assert exc.value.status_code == 404
    assert exc.value.response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


# ---- links, comments, transitions ------------------------------------------------------------
def test_remote_links_and_comments(sim: JiraSimulator, client: jira.JIRA) -> None:
    key = new_bug(client).key
    client.add_simple_link(key, {"url": "https://help.example.com/t/1", "title": "Ticket #1"})
    first = client.add_remote_link(
        key, {"url": "https://help.example.com/t/2", "title": "Ticket #2"}, globalId="ticket-2"
    )
    again = client.add_remote_link(
        key,
        {"url": "https://help.example.com/t/2", "title": "Ticket #2 (VIP)"},
        globalId="ticket-2",
    )
    assert first.id == again.id
    assert [link["object"]["title"] for link in sim.remote_links(key)] == [
        "Ticket #1",
        "Ticket #2 (VIP)",
    ]
    assert [link.object.url for link in client.remote_links(key)][
        0
    ] == "https://help.example.com/t/1"
    client.delete_remote_link(key, global_id="ticket-2")
    assert len(client.remote_links(key)) == 1

    client.add_comment(key, "Linked ticket: https://help.example.com/t/1")
    assert [c.body for c in client.comments(key)] == ["Linked ticket: https://help.example.com/t/1"]
    assert sim.comments(key)[0]["author"]["emailAddress"] == sim.email


def test_only_an_administrator_lists_application_links(sim: JiraSimulator) -> None:
    url = f"{sim.url}/rest/applinks/latest/listApplicationlinks"
    refused = requests.get(url, auth=(sim.email, sim.api_token), timeout=5)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("Client must be authenticated as an administrator")
    sim.admin = True
    assert requests.get(url, auth=(sim.email, sim.api_token), timeout=5).json() == {"list": []}
    assert requests.get(url, timeout=5).status_code == 401


def test_transition_with_resolution_sets_done_category(
    sim: JiraSimulator, client: jira.JIRA
) -> None:
    key = new_bug(client).key
    names = {t["name"]: t["id"] for t in client.transitions(key)}
    assert set(names) == {"In Progress", "Done", "Closed"}
    client.transition_issue(key, "Done", fields={"resolution": {"name": "Won't Do"}})
    issue = client.issue(key, fields="status,resolution,resolutiondate,fixVersions")
    assert (issue.fields.status.statusCategory.key, issue.fields.resolution.name) == (
        "done",
        "Won't Do",
    )
    assert issue.fields.resolutiondate is not None
    assert not hasattr(issue.fields, "summary")

    client.transition_issue(key, names["In Progress"])
    issue = client.issue(key)
    assert issue.fields.status.statusCategory.key == "indeterminate"
    assert issue.fields.resolution is None


def test_transition_not_available_is_400(client: jira.JIRA) -> None:
    key = new_bug(client).key
    with pytest.raises(JIRAError) as exc:
        client.transition_issue(key, "99")
    assert exc.value.response.json()["errorMessages"] == [
        "Transition id '99' is not valid for this issue."
    ]
    with pytest.raises(JIRAError) as exc:
        client.transition_issue(key, "In Progress", fields={"resolution": {"name": "Fixed"}})
    assert "resolution" in field_errors(exc)


def test_localized_status_names_keep_category_keys(sim: JiraSimulator, client: jira.JIRA) -> None:
    sim.set_status_names({"Done": "Fertig"}, categories={"done": "Fertig"})
    key = new_bug(client).key
    sim.close(key, resolution="Fixed", fix_version="2.4")
    status = client.issue(key).fields.status
    assert (status.name, status.statusCategory.name, status.statusCategory.key) == (
        "Fertig",
        "Fertig",
        "done",
    )
    assert [v.name for v in client.issue(key).fields.fixVersions] == ["2.4"]


# ---- search ------------------------------------------------------------------------------------
def test_search_key_batches_and_next_page_token(
    sim: JiraSimulator, clock: FakeClock, client: jira.JIRA
) -> None:
    keys = []
    for n in range(7):
        keys.append(sim.create_issue(summary=f"Bug {n}"))
        clock.now += 60
    batch = ", ".join(keys)
    found = client.search_issues(
        f"key in ({batch}) ORDER BY created ASC", maxResults=3, fields="status"
    )
    assert [i.key for i in found] == keys[:3]
    assert found.nextPageToken
    everything = client.search_issues(f"issuekey in ({batch})", maxResults=False, fields="status")
    assert [i.key for i in everything] == keys[::-1]  # no ORDER BY: newest first

    seen: list[str] = []
    params: dict[str, Any] = {"jql": f"key in ({batch})", "maxResults": 3, "fields": "key"}
    while True:
        page = rest(sim, "GET", "search/jql", params=params).json()
        seen += [i["key"] for i in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        params["nextPageToken"] = page["nextPageToken"]
    assert seen == keys[::-1]
    params["nextPageToken"] = "not-a-token"
    assert rest(sim, "GET", "search/jql", params=params).json()["errorMessages"] == [
        "The provided next page token is invalid or expired."
    ]
    posted = rest(
        sim, "POST", "search/jql", json={"jql": f"key = {keys[0]}", "fields": ["summary"]}
    )
    assert posted.json()["issues"][0]["fields"] == {"summary": "Bug 0"}


def test_search_defaults_to_ids_and_caps_page_size(sim: JiraSimulator) -> None:
    for n in range(120):
        sim.create_issue(summary=f"Noise {n}")
    ids = rest(sim, "GET", "search/jql", params={"jql": "project = SUP", "maxResults": 9000}).json()
    assert len(ids["issues"]) == 120 and set(ids["issues"][0]) == {"id"}
    full = rest(
        sim,
        "GET",
        "search/jql",
        params={"jql": "project = SUP", "maxResults": 9000, "fields": "*all"},
    )
    assert len(full.json()["issues"]) == 100 and full.json()["isLast"] is False


def test_jql_finds_a_filing_by_project_and_label(
    sim: JiraSimulator, clock: FakeClock, client: jira.JIRA
) -> None:
    sim.add_project("OPS", "Operations")
    first = sim.create_issue(summary="Checkout fails", labels=["zd-7"])
    clock.now += 60
    again = sim.create_issue(summary="Checkout fails", labels=["support", "zd-7"])
    sim.create_issue(summary="Checkout fails", labels=["zd-8"])
    sim.create_issue("OPS", "Checkout fails", issuetype="Task", labels=["zd-7"])

    def keys(jql: str) -> list[str]:
        return [i.key for i in client.search_issues(jql)]

    assert keys('project = "SUP" AND labels = "zd-7" ORDER BY created DESC') == [again, first]
    assert keys("project = sup AND labels = zd-7 order by created asc") == [first, again]
    found = keys("project in (SUP, Operations) AND labels in (zd-7)")
    assert sorted(found) == ["OPS-1", first, again]


def test_jql_text_search_by_words_and_prefix(
    sim: JiraSimulator, clock: FakeClock, client: jira.JIRA
) -> None:
    button = sim.create_issue(summary="Refund button missing")
    clock.now += 60
    email = sim.create_issue(summary="Refund email late", description="The printer jams")
    sim.create_issue(summary="Dark mode")
    clock.now += 60
    sim.add_comment(button, "Also on the refunds page")

    def keys(jql: str) -> list[str]:
        return [i.key for i in client.search_issues(jql)]

    assert keys('text ~ "refund butt*" ORDER BY updated DESC') == [button]
    assert keys('text ~ "refund" ORDER BY updated DESC') == [button, email]
    assert keys('text ~ "refund" ORDER BY updated ASC') == [email, button]
    assert keys('text ~ "jam printers"') == [email]  # description, stemmed
    assert keys('text ~ "page"') == [button]  # comments
    assert keys('text ~ "refund \\"late\\""') == [email]  # escaped quotes in the value
    assert keys('text ~ "refund" AND key = ' + email) == [email]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("", UNBOUNDED),
        ("ORDER BY created DESC", UNBOUNDED),
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key in (SUP-1, SUP-999)", "An issue with key 'SUP-999' does not exist for field 'key'."),
        ("key = refund", "The issue key 'refund' for field 'key' is invalid."),
        ("text = refund", "The operator '=' is not supported by the 'text' field."),
        ("labels ~ refund", "The operator '~' is not supported by the 'labels' field."),
        ('text ~ ""', "The field 'text' does not support searching for an empty string."),
        (
            "project = SUP foo",
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'. "
            "(line 1, character 15)",
        ),  # fmt: skip
        (
            'text ~ "refund',
            "Error in the JQL Query: The quoted string starting at character 8 is not closed.",
        ),  # fmt: skip
        (
            "project SUP",
            "Error in the JQL Query: Expecting operator but got 'SUP'. The valid operators are "
            "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. "
            "(line 1, character 9)",
        ),  # fmt: skip
        (
            "key in SUP-1",
            "Error in the JQL Query: Expecting '(' to start a list of values. "
            "(line 1, character 8)",
        ),  # fmt: skip
    ],
)
def test_jql_errors_are_400(sim: JiraSimulator, jql: str, message: str) -> None:
    sim.create_issue()
    answer = rest(sim, "GET", "search/jql", params={"jql": jql})
    assert answer.status_code == 400
    assert answer.json() == {"errorMessages": [message], "errors": {}}


@pytest.mark.parametrize(
    "jql",
    [
        "status = Done",
        "project = SUP OR labels = zd-7",
        "NOT project = SUP",
        "(project = SUP)",
        "project != SUP",
        "labels IS EMPTY",
        "labels = EMPTY",
        "assignee = currentUser()",
        "project = SUP ORDER BY key",
        "project = SUP ORDER BY created DESC, updated",
    ],
)
def test_valid_jql_outside_the_subset_is_refused_not_guessed(sim: JiraSimulator, jql: str) -> None:
    sim.create_issue()
    answer = rest(sim, "POST", "search/jql", json={"jql": jql})
    assert answer.status_code == 400
    [message] = answer.json()["errorMessages"]
    assert message.startswith("The Jira simulator does not support ")


def test_legacy_search_is_gone(sim: JiraSimulator) -> None:
    sim.create_issue()
    for method in ("GET", "POST"):
        answer = rest(sim, method, "search", params={"jql": "project = SUP"})
        assert answer.status_code == 410
        assert "/rest/api/3/search/jql" in answer.json()["errorMessages"][0]


# ---- auth, limits, outages -------------------------------------------------------------------
def test_bad_credentials_are_401(sim: JiraSimulator) -> None:
    with pytest.raises(JIRAError) as exc:
        jira.JIRA(server=sim.url, basic_auth=(sim.email, "wrong"), max_retries=0)
    assert exc.value.status_code == 401
    assert exc.value.response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert requests.get(f"{sim.url}/rest/api/2/myself", timeout=5).status_code == 401


def test_rate_limit_is_429_with_retry_after(sim: JiraSimulator, client: jira.JIRA) -> None:
    sim.rate_limit(times=1, retry_after=7)
    with pytest.raises(JIRAError) as exc:
        client.myself()
    assert exc.value.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert "X-RateLimit-Reset" in exc.value.response.headers
    assert client.myself()["accountId"]


def test_down_is_503_and_fail_injects_by_route(sim: JiraSimulator, client: jira.JIRA) -> None:
    sim.set_down(True)
    with pytest.raises(JIRAError) as exc:
        client.issue("SUP-1")
    assert exc.value.status_code == 503
    sim.set_down(False)
    sim.fail("issue.create", 500, {"errorMessages": ["Internal server error"], "errors": {}})
    with pytest.raises(JIRAError):
        new_bug(client)
    before = sim.request_count
    assert new_bug(client).key == "SUP-1"
    assert sim.request_count == before + 2


# ---- webhooks ------------------------------------------------------------------------------------
def test_rest_transition_sends_signed_webhook(
    sim: JiraSimulator, client: jira.JIRA, receiver: Receiver
) -> None:
    key = new_bug(client).key
    assert receiver.received == []  # jira:issue_created is not subscribed by default
    client.transition_issue(key, "Done", fields={"resolution": {"name": "Fixed"}})
    headers, body = receiver.received[-1]
    assert verify_jira(SECRET, body, headers["x-hub-signature"])
    assert headers["content-type"].startswith("application/json")
    assert headers["x-atlassian-webhook-flow"] == "Primary"
    assert "x-atlassian-webhook-retry" not in headers
    payload = json.loads(body)
    assert (payload["webhookEvent"], payload["issue_event_type_name"]) == (
        "jira:issue_updated",
        "issue_generic",
    )
    assert payload["timestamp"] == int(START * 1000)
    assert payload["user"]["emailAddress"] == sim.email
    assert payload["issue"]["fields"]["status"]["statusCategory"]["key"] == "done"
    status, resolution = payload["changelog"]["items"]
    assert status == {
        "field": "status", "fieldtype": "jira", "fieldId": "status",
        "from": "10000", "fromString": "To Do", "to": "10001", "toString": "Done",
    }  # fmt: skip
    assert (resolution["field"], resolution["from"], resolution["toString"]) == (
        "resolution",
        None,
        "Fixed",
    )


def test_rest_comment_and_edit_send_webhooks(client: jira.JIRA, receiver: Receiver) -> None:
    issue = new_bug(client)
    client.add_comment(issue.key, "Ticket #7 is linked")
    issue.update(fields={"labels": ["vip"]})
    commented, edited = receiver.payloads()
    assert commented["issue_event_type_name"] == "issue_commented"
    assert commented["comment"]["body"] == "Ticket #7 is linked"
    assert edited["issue_event_type_name"] == "issue_updated"
    assert edited["changelog"]["items"][0]["toString"] == "vip"


def test_queue_drop_and_redeliver(sim: JiraSimulator, receiver: Receiver) -> None:
    key = sim.create_issue()
    sim.deliver = "queue"
    sim.transition(key, "In Progress")
    sim.close(key)
    assert receiver.received == [] and len(sim.pending_webhooks) == 2
    sim.flush()
    assert [p["changelog"]["items"][0]["toString"] for p in receiver.payloads()] == [
        "In Progress",
        "Done",
    ]

    sim.deliver = "sync"
    lost = sim.reopen(key, deliver="drop")
    assert lost is not None and lost.dropped and len(receiver.received) == 2

    receiver.answers = [500]
    failed = sim.close(key, resolution="Duplicate")
    assert failed is not None and failed.retryable
    retried = sim.retry_failed()
    assert [a.status for a in retried] == [200]
    again = sim.redeliver(failed.identifier)
    identifiers = [h["x-atlassian-webhook-identifier"] for h, _ in receiver.received[-3:]]
    assert identifiers == [failed.identifier] * 3
    assert [h.get("x-atlassian-webhook-retry") for h, _ in receiver.received[-3:]] == [
        None,
        "1",
        "2",
    ]
    assert again.ok and [a.retry for a in sim.webhook_log[-3:]] == [0, 1, 2]


def test_deleted_issue_breaks_key_search(sim: JiraSimulator, client: jira.JIRA) -> None:
    keep, gone = sim.create_issue(), sim.create_issue()
    sim.delete_issue(gone)
    with pytest.raises(JIRAError) as exc:
        client.search_issues(f"key in ({keep}, {gone})")
    assert exc.value.status_code == 400
    assert [i.key for i in client.search_issues(f"key in ({keep})")] == [keep]


def test_person_in_jira_comments_edits_and_reopens(sim: JiraSimulator, receiver: Receiver) -> None:
    key = sim.create_issue(summary="Export times out", priority="High", components=["Backend"])
    sim.add_comment(key, "Looking into it", actor="Dana Dev")
    sim.edit(key, actor="Dana Dev", labels=["needs-info"])
    sim.close(key, resolution="Fixed", fix_version="3.1")
    sim.reopen(key)
    commented, edited, closed, reopened = receiver.payloads()
    assert commented["user"]["displayName"] == "Dana Dev" and "changelog" not in commented
    assert edited["changelog"]["items"][0]["field"] == "labels"
    assert [i["field"] for i in closed["changelog"]["items"]] == [
        "status",
        "resolution",
        "Fix Version",
    ]
    assert reopened["issue"]["fields"]["resolution"] is None
    assert reopened["changelog"]["items"][1] == {
        "field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
        "from": "1", "fromString": "Fixed", "to": None, "toString": None,
    }  # fmt: skip
    assert sim.issue(key)["fields"]["status"]["name"] == "To Do"


def test_created_events_when_subscribed(receiver: Receiver) -> None:
    events = ("jira:issue_created", "jira:issue_updated")
    with JiraSimulator(webhook_url=receiver.url, webhook_events=events) as sim:
        client = jira.JIRA(server=sim.url, basic_auth=(sim.email, sim.api_token), max_retries=0)
        key = new_bug(client).key
        headers, _ = receiver.received[0]
        assert "x-hub-signature" not in headers  # no secret, no signature
        assert receiver.payloads()[0]["webhookEvent"] == "jira:issue_created"
        assert receiver.payloads()[0]["issue"]["key"] == key
