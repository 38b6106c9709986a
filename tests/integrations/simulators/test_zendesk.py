"""The Zendesk simulator, driven over real HTTP as the app's client and webhook route see it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from integrations.signatures import verify_zendesk
from integrations.simulators.zendesk.server import ZendeskSimulator

START = 1_700_000_000.0
AUTH = ("agent@example.com/token", "zd-token")
SECRET = "whsec-test"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Receiver:
    """A loopback webhook endpoint recording what arrives and answering scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib hook name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((dict(self.headers.items()), body))
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = lambda: self.server.serve_forever(poll_interval=0.01)  # noqa: E731
        threading.Thread(target=serve, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/zendesk"

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def types(self) -> list[str]:
        return [p["type"].rsplit(".", 1)[1] for p in self.payloads()]


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
def sim(clock: FakeClock, receiver: Receiver) -> Iterator[ZendeskSimulator]:
    with ZendeskSimulator(clock=clock, webhook_secret=SECRET) as simulator:
        simulator.webhook_url = receiver.url
        yield simulator


def call(sim: ZendeskSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    return requests.request(method, sim.url + path, timeout=5, **kwargs)


def people(sim: ZendeskSimulator) -> tuple[dict[str, Any], dict[str, Any]]:
    org = sim.add_organization("Globex")
    customer = sim.add_user("Carla Customer", email="carla@globex.test", organization_id=org["id"])
    agent = sim.add_agent("Alex Agent", email="alex@acme.test")
    return customer, agent


# ---- REST API ----------------------------------------------------------------------------------
def test_ticket_created_shown_and_updated_over_http(
    sim: ZendeskSimulator, clock: FakeClock
) -> None:
    customer, agent = people(sim)
    created = call(sim, "POST", "/api/v2/tickets.json", json={"ticket": {
        "subject": "Printer on fire", "comment": {"body": "Smoke everywhere"},
        "requester_id": customer["id"], "priority": "high", "tags": ["vip"]}})  # fmt: skip
    assert created.status_code == 201
    ticket = created.json()["ticket"]
    assert created.headers["Location"] == ticket["url"] == f"{sim.url}/api/v2/tickets/1.json"
    assert ticket["status"] == "new" and ticket["priority"] == "high"
    assert ticket["description"] == "Smoke everywhere" and ticket["via"]["channel"] == "api"
    assert ticket["organization_id"] == customer["organization_id"]
    assert ticket["submitter_id"] == sim.me["id"] and ticket["generated_timestamp"] == int(START)
    assert [e["type"] for e in created.json()["audit"]["events"]][-1] == "Comment"

    clock.advance(90)
    update = {"ticket": {"assignee_id": agent["id"], "subject": "Printer melted"}}
    updated = call(sim, "PUT", "/api/v2/tickets/1.json", json=update)
    assert updated.status_code == 200
    body = updated.json()
    assert body["ticket"]["status"] == "open"  # assigning a new ticket opens it
    assert body["ticket"]["updated_at"] == "2023-11-14T22:14:50Z"
    changes = {e["field_name"]: e for e in body["audit"]["events"]}
    assert changes["status"]["previous_value"] == "new"
    assert changes["assignee_id"]["value"] == agent["id"]
    shown = call(sim, "GET", "/api/v2/tickets/1.json").json()["ticket"]
    assert shown["subject"] == "Printer melted" and shown["created_at"] == ticket["created_at"]
    assert sim.ticket_url(1) == f"{sim.url}/agent/tickets/1"


def test_internal_note_via_put_is_private_authored_and_announced(
    sim: ZendeskSimulator, receiver: Receiver
) -> None:
    customer, agent = people(sim)
    ticket = sim.create_ticket("Login fails", "Cannot sign in", requester_id=customer["id"])
    note = {"ticket": {"comment": {"body": "Slack thread: #help", "public": False,
                                   "author_id": agent["id"]}}}  # fmt: skip
    answer = call(sim, "PUT", f"/api/v2/tickets/{ticket['id']}.json", json=note)
    assert answer.status_code == 200
    comments = call(sim, "GET", f"/api/v2/tickets/{ticket['id']}/comments.json").json()
    last = comments["comments"][-1]
    assert (last["type"], last["public"], last["author_id"]) == ("Comment", False, agent["id"])
    assert last["body"] == "Slack thread: #help" and last["id"] in {
        e["id"] for e in answer.json()["audit"]["events"]
    }
    event = receiver.payloads()[-1]
    assert event["type"] == "zen:event-type:ticket.comment_added"
    assert event["event"]["comment"]["is_public"] is False
    assert event["event"]["comment"]["id"] == str(last["id"])
    assert event["event"]["comment"]["author"] == {
        "id": str(agent["id"]), "is_staff": True, "name": "Alex Agent"}  # fmt: skip
    assert event["detail"]["actor_id"] == str(sim.me["id"])  # the token's user did the update


def test_ticket_holds_at_most_5000_comments(sim: ZendeskSimulator) -> None:
    customer, agent = people(sim)
    sim.deliver = "drop"
    ticket = sim.create_ticket("Chatty", "first", requester_id=customer["id"])
    for n in range(4999):
        sim.add_comment(ticket["id"], f"reply {n}", author_id=agent["id"])
    path = f"/api/v2/tickets/{ticket['id']}.json"
    refused = call(sim, "PUT", path, json={"ticket": {"comment": {"body": "one more"}}})
    assert refused.status_code == 422
    assert refused.json()["error"] == "RecordInvalid"
    assert refused.json()["description"] == "Record validation errors"
    assert len(sim.comments[ticket["id"]]) == 5000
    still_updatable = call(sim, "PUT", path, json={"ticket": {"status": "pending"}})
    assert still_updatable.json()["ticket"]["status"] == "pending"


@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("agent@example.com/token", "wrong"),
        ("agent@example.com", "zd-token"),
        ("other@example.com/token", "zd-token"),
    ],  # fmt: skip
)
def test_requests_without_the_api_token_get_401(
    sim: ZendeskSimulator, auth: tuple[str, str] | None
) -> None:
    answer = call(sim, "POST", "/api/v2/tickets.json", auth=auth,
                  json={"ticket": {"comment": {"body": "hi"}}})  # fmt: skip
    assert answer.status_code == 401
    assert answer.json() == {"error": "Couldn't authenticate you"}
    assert sim.tickets == {}


def test_bearer_token_is_refused(sim: ZendeskSimulator) -> None:
    answer = call(sim, "GET", "/api/v2/users/me.json", auth=None,
                  headers={"Authorization": "Bearer zd-token"})  # fmt: skip
    assert answer.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/tickets/999.json",
        "/api/v2/tickets/999/comments.json",
        "/api/v2/users/1.json",
        "/api/v2/organizations/1.json",
        "/api/v2/groups/1.json",
        "/api/v2/brands/1.json",
        "/api/v2/tickets/abc.json",
    ],  # fmt: skip
)
def test_unknown_records_answer_404_record_not_found(sim: ZendeskSimulator, path: str) -> None:
    answer = call(sim, "GET", path)
    assert answer.status_code == 404
    assert answer.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_lookups_of_users_groups_brands_and_many_tickets(sim: ZendeskSimulator) -> None:
    customer, agent = people(sim)
    group = sim.add_group("Tier 2")
    first = sim.create_ticket("One", "1", requester_id=customer["id"], group_id=group["id"])
    second = sim.create_ticket("Two", "2", requester_id=customer["id"])
    me = call(sim, "GET", "/api/v2/users/me.json").json()["user"]
    assert (me["email"], me["role"]) == ("agent@example.com", "admin")
    user = call(sim, "GET", f"/api/v2/users/{customer['id']}.json").json()["user"]
    assert {k: user[k] for k in ("name", "email", "role", "organization_id", "time_zone")} == {
        "name": "Carla Customer", "email": "carla@globex.test", "role": "end-user",
        "organization_id": customer["organization_id"],
        "time_zone": "Pacific Time (US & Canada)"}  # fmt: skip
    ids = f"{first['id']},{second['id']},404"
    many = call(sim, "GET", f"/api/v2/tickets/show_many.json?ids={ids}").json()
    assert [t["subject"] for t in many["tickets"]] == ["One", "Two"]
    users = call(sim, "GET", f"/api/v2/users/show_many.json?ids={customer['id']},{agent['id']}")
    assert [u["name"] for u in users.json()["users"]] == ["Carla Customer", "Alex Agent"]
    assert call(sim, "GET", f"/api/v2/groups/{group['id']}.json").json()["group"]["name"] == (
        "Tier 2"
    )
    brand = call(sim, "GET", f"/api/v2/brands/{sim.default_brand['id']}.json").json()["brand"]
    assert brand["default"] is True and first["brand_id"] == brand["id"]
    org = call(sim, "GET", f"/api/v2/organizations/{customer['organization_id']}.json")
    assert org.json()["organization"]["name"] == "Globex"


def test_comments_page_by_offset_and_by_cursor(sim: ZendeskSimulator) -> None:
    customer, agent = people(sim)
    ticket = sim.create_ticket("Paged", "c0", requester_id=customer["id"])
    for n in range(1, 5):
        sim.add_comment(ticket["id"], f"c{n}", author_id=agent["id"], public=n % 2 == 0)
    base = f"/api/v2/tickets/{ticket['id']}/comments.json"
    page = call(sim, "GET", f"{base}?per_page=2&page=2").json()
    assert [c["body"] for c in page["comments"]] == ["c2", "c3"] and page["count"] == 5
    assert page["next_page"].endswith("page=3&per_page=2") and page["previous_page"]
    bodies, url = [], f"{sim.url}{base}?page[size]=2"
    while url:
        answer = requests.get(url, auth=AUTH, timeout=5).json()
        bodies += [c["body"] for c in answer["comments"]]
        url = answer["links"]["next"]
    assert bodies == ["c0", "c1", "c2", "c3", "c4"]


def test_update_of_closed_ticket_is_refused(sim: ZendeskSimulator) -> None:
    customer, _ = people(sim)
    ticket = sim.create_ticket("Done", "thanks", requester_id=customer["id"])
    sim.solve(ticket["id"])
    sim.close(ticket["id"])
    answer = call(sim, "PUT", f"/api/v2/tickets/{ticket['id']}.json",
                  json={"ticket": {"comment": {"body": "late note", "public": False}}})  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["details"]["status"][0]["description"] == "closed prevents ticket update"


def test_invalid_ticket_input_answers_record_invalid(sim: ZendeskSimulator) -> None:
    blank = call(sim, "POST", "/api/v2/tickets.json", json={"ticket": {"subject": "No body"}})
    assert blank.status_code == 422 and blank.json()["error"] == "RecordInvalid"
    assert sim.tickets == {}
    customer, _ = people(sim)
    ticket = sim.create_ticket("Fine", "body", requester_id=customer["id"])
    bad = call(sim, "PUT", f"/api/v2/tickets/{ticket['id']}.json",
               json={"ticket": {"status": "escalated"}})  # fmt: skip
    assert bad.status_code == 422 and "status" in bad.json()["details"]
    assert sim.tickets[ticket["id"]]["status"] == "new"


def test_injected_failure_can_hide_or_keep_the_side_effect(
    sim: ZendeskSimulator, receiver: Receiver
) -> None:
    customer, _ = people(sim)
    ticket = sim.create_ticket("Flaky", "body", requester_id=customer["id"])
    path, seen = f"/api/v2/tickets/{ticket['id']}.json", len(receiver.received)
    sim.fail("tickets.update", 503, {"error": "ServiceUnavailable"})
    assert call(sim, "PUT", path, json={"ticket": {"status": "pending"}}).status_code == 503
    assert sim.tickets[ticket["id"]]["status"] == "new" and len(receiver.received) == seen
    sim.fail("tickets.update", 500, after_effect=True)
    assert call(sim, "PUT", path, json={"ticket": {"status": "pending"}}).status_code == 500
    assert sim.tickets[ticket["id"]]["status"] == "pending"
    assert receiver.types()[-1] == "status_changed"
    assert [c.status for c in sim.calls_to("tickets.update")] == [503, 500]


# ---- incremental export ------------------------------------------------------------------------
def export(sim: ZendeskSimulator, query: str) -> requests.Response:
    return call(sim, "GET", f"/api/v2/incremental/tickets/cursor.json?{query}")


def test_export_pages_with_the_cursor_until_end_of_stream(
    sim: ZendeskSimulator, clock: FakeClock
) -> None:
    customer, _ = people(sim)
    for n in range(5):
        sim.create_ticket(f"T{n}", "body", requester_id=customer["id"])
        clock.advance(1)
    clock.advance(120)
    subjects, url, pages = [], None, 0
    answer = export(sim, f"start_time={int(START)}&per_page=2").json()
    while True:
        pages += 1
        subjects += [t["subject"] for t in answer["tickets"]]
        assert set(answer) >= {"after_url", "after_cursor", "before_url", "before_cursor"}
        if answer["end_of_stream"]:
            break
        url = answer["after_url"]
        answer = requests.get(url, auth=AUTH, timeout=5).json()
    assert subjects == ["T0", "T1", "T2", "T3", "T4"] and pages == 3
    assert "per_page=2" in url
    again = export(sim, f"cursor={answer['after_cursor']}").json()
    assert again["tickets"] == [] and again["end_of_stream"] is True


def test_export_leaves_out_the_minute_before_the_request(
    sim: ZendeskSimulator, clock: FakeClock
) -> None:
    customer, _ = people(sim)
    old = sim.create_ticket("Old", "body", requester_id=customer["id"])
    clock.advance(120)
    sim.create_ticket("Fresh", "body", requester_id=customer["id"])
    clock.advance(30)
    first = export(sim, f"start_time={int(START)}").json()
    assert [t["id"] for t in first["tickets"]] == [old["id"]] and first["end_of_stream"]
    clock.advance(31)
    later = export(sim, f"cursor={first['after_cursor']}").json()
    assert [t["subject"] for t in later["tickets"]] == ["Fresh"]


def test_export_cursor_brings_back_tickets_updated_later(
    sim: ZendeskSimulator, clock: FakeClock
) -> None:
    customer, _ = people(sim)
    first = sim.create_ticket("A", "body", requester_id=customer["id"])
    sim.create_ticket("B", "body", requester_id=customer["id"])
    clock.advance(61)
    cursor = export(sim, f"start_time={int(START)}").json()["after_cursor"]
    sim.update_ticket(first["id"], status="pending")
    clock.advance(61)
    answer = export(sim, f"cursor={cursor}").json()
    assert [(t["subject"], t["status"]) for t in answer["tickets"]] == [("A", "pending")]
    assert answer["tickets"][0]["generated_timestamp"] == int(START) + 61


def test_export_includes_deleted_tickets_unless_excluded(
    sim: ZendeskSimulator, clock: FakeClock, receiver: Receiver
) -> None:
    customer, _ = people(sim)
    gone = sim.create_ticket("Spam", "buy now", requester_id=customer["id"])
    sim.create_ticket("Real", "help", requester_id=customer["id"])
    sim.delete_ticket(gone["id"])
    clock.advance(61)
    assert call(sim, "GET", f"/api/v2/tickets/{gone['id']}.json").status_code == 404
    everything = export(sim, f"start_time={int(START)}").json()["tickets"]
    assert {t["subject"]: t["status"] for t in everything} == {"Spam": "deleted", "Real": "new"}
    kept = export(sim, f"start_time={int(START)}&exclude_deleted=true").json()["tickets"]
    assert [t["subject"] for t in kept] == ["Real"]
    assert receiver.types()[-1] == "soft_deleted"


def test_export_rate_limit_answers_429_with_retry_after_and_no_side_effect(
    clock: FakeClock,
) -> None:
    with ZendeskSimulator(clock=clock, rate_limits=True) as sim:
        customer = sim.add_user("Carla")
        sim.create_ticket("A", "body", requester_id=customer["id"])
        clock.advance(61)
        for _ in range(10):
            assert export(sim, f"start_time={int(START)}").status_code == 200
            clock.advance(1)
        refused = export(sim, f"start_time={int(START)}")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "50"
        assert refused.json() == {
            "error": "APIRateLimitExceeded",
            "description": "Number of allowed incremental export API requests per minute exceeded",
        }
        assert call(sim, "GET", "/api/v2/users/me.json").status_code == 200  # other budget
        clock.advance(50)
        assert export(sim, f"start_time={int(START)}").json()["tickets"][0]["subject"] == "A"
        assert export(sim, f"start_time={int(START)}").headers["Retry-After"] == "1"


def test_account_rate_limit_answers_plain_text_429(clock: FakeClock) -> None:
    with ZendeskSimulator(clock=clock, rate_limits=True, requests_per_minute=2) as sim:
        first = call(sim, "GET", "/api/v2/users/me.json")
        assert (
            first.headers["X-Rate-Limit"] == "2" and first.headers["X-Rate-Limit-Remaining"] == "1"
        )
        clock.advance(10)
        assert call(sim, "GET", "/api/v2/users/me.json").status_code == 200
        refused = call(sim, "POST", "/api/v2/tickets.json",
                       json={"ticket": {"comment": {"body": "x"}}})  # fmt: skip
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "50"
        assert refused.text == "Number of allowed API requests per minute exceeded"
        assert sim.tickets == {}


# ---- webhooks ----------------------------------------------------------------------------------
def test_webhooks_arrive_signed_as_zendesk_signs_them(
    sim: ZendeskSimulator, receiver: Receiver, clock: FakeClock
) -> None:
    customer, _ = people(sim)
    ticket = sim.create_ticket("Printer", "On fire", requester_id=customer["id"], tags=["vip"])
    assert receiver.types() == ["created", "comment_added"]
    for headers, body in receiver.received:
        stamp = headers["X-Zendesk-Webhook-Signature-Timestamp"]
        assert stamp == "2023-11-14T22:13:20Z"
        assert verify_zendesk(SECRET, stamp, body, headers["X-Zendesk-Webhook-Signature"], clock())
        assert headers["User-Agent"] == "Zendesk Webhook"
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Zendesk-Webhook-Id"] == sim.webhooks.webhook_id
    created, comment = receiver.payloads()
    assert set(created) == {"type", "account_id", "id", "time", "zendesk_event_version",
                            "subject", "detail", "event"}  # fmt: skip
    assert created["subject"] == f"zen:ticket:{ticket['id']}" and created["event"] == {}
    assert created["zendesk_event_version"] == "2022-11-06"
    assert created["time"] == "2023-11-14T22:13:20.000000000Z"
    detail = created["detail"]
    assert detail["id"] == str(ticket["id"]) and detail["requester_id"] == str(customer["id"])
    assert (detail["status"], detail["priority"], detail["tags"]) == ("NEW", None, ["vip"])
    assert detail["organization_id"] == str(customer["organization_id"])
    assert comment["event"]["comment"]["author"]["is_staff"] is False
    assert comment["event"]["meta"]["sequence"]["position"] == 2
    assert [d.status for d in sim.webhook_log] == [200, 200]


def test_each_changed_field_is_its_own_event_in_one_sequence(
    sim: ZendeskSimulator, receiver: Receiver
) -> None:
    customer, agent = people(sim)
    group = sim.add_group("Billing")
    ticket = sim.create_ticket("Refund", "please", requester_id=customer["id"], tags=["a"])
    sim.update_ticket(ticket["id"], actor_id=agent["id"], status="pending", priority="urgent",
                      group_id=group["id"], assignee_id=agent["id"], tags=["b"])  # fmt: skip
    events = receiver.payloads()[2:]
    kinds = [p["type"].rsplit(".", 1)[1] for p in events]
    assert kinds == ["status_changed", "priority_changed", "group_assignment_changed",
                     "agent_assignment_changed", "tags_changed"]  # fmt: skip
    by_kind = dict(zip(kinds, (p["event"] for p in events), strict=True))
    assert (by_kind["status_changed"]["current"], by_kind["status_changed"]["previous"]) == (
        "PENDING", "NEW")  # fmt: skip
    assert by_kind["priority_changed"]["previous"] is None
    assert by_kind["agent_assignment_changed"]["current"] == str(agent["id"])
    assert (by_kind["tags_changed"]["tags_added"], by_kind["tags_changed"]["tags_removed"]) == (
        ["b"], ["a"])  # fmt: skip
    assert len({e["meta"]["sequence"]["id"] for e in by_kind.values()}) == 1
    assert all(p["detail"]["actor_id"] == str(agent["id"]) for p in events)
    assert len(sim.payloads_for(ticket["id"])) == 7


def test_queue_mode_holds_webhooks_until_flush(sim: ZendeskSimulator, receiver: Receiver) -> None:
    customer, _ = people(sim)
    sim.deliver = "queue"
    ticket = sim.create_ticket("Later", "body", requester_id=customer["id"])
    sim.solve(ticket["id"])
    assert receiver.received == [] and len(sim.pending_webhooks) == 3
    delivered = sim.flush()
    assert [d.status for d in delivered] == [200, 200, 200] and sim.pending_webhooks == []
    assert receiver.types() == ["created", "comment_added", "status_changed"]


def test_drop_mode_records_events_as_lost(sim: ZendeskSimulator, receiver: Receiver) -> None:
    customer, _ = people(sim)
    sim.deliver = "drop"
    ticket = sim.create_ticket("Lost", "body", requester_id=customer["id"])
    assert receiver.received == []
    assert [p["type"] for p in sim.lost_webhooks()] == [
        "zen:event-type:ticket.created", "zen:event-type:ticket.comment_added"]  # fmt: skip
    assert all(d.lost and d.status is None for d in sim.webhook_log)
    assert len(sim.payloads_for(ticket["id"])) == 2


def test_replay_sends_the_same_event_with_a_fresh_signature(
    sim: ZendeskSimulator, receiver: Receiver, clock: FakeClock
) -> None:
    customer, _ = people(sim)
    sim.create_ticket("Again", "body", requester_id=customer["id"])
    original_headers, original_body = receiver.received[0]
    clock.advance(125)
    delivery = sim.replay(json.loads(original_body)["id"])
    headers, body = receiver.received[-1]
    assert delivery.status == 200 and body == original_body
    stamp = headers["X-Zendesk-Webhook-Signature-Timestamp"]
    assert stamp == "2023-11-14T22:15:25Z" != original_headers[
        "X-Zendesk-Webhook-Signature-Timestamp"]  # fmt: skip
    assert verify_zendesk(SECRET, stamp, body, headers["X-Zendesk-Webhook-Signature"], clock())


def test_webhook_retries_follow_zendesks_rules(sim: ZendeskSimulator, receiver: Receiver) -> None:
    customer, _ = people(sim)
    ticket = sim.create_ticket("Retry", "body", requester_id=customer["id"])
    sim.webhook_retries = 5
    receiver.answers = [(409, {}), (409, {}), (409, {}), (409, {})]
    sim.update_ticket(ticket["id"], status="open")
    assert [d.status for d in sim.webhook_log[-4:]] == [409, 409, 409, 409]  # 1 + 3 retries
    receiver.answers = [(429, {"Retry-After": "5"}), (200, {})]
    sim.update_ticket(ticket["id"], status="pending")
    assert [(d.status, d.attempt) for d in sim.webhook_log[-2:]] == [(429, 1), (200, 2)]
    receiver.answers, before = [(500, {})], len(receiver.received)
    sim.update_ticket(ticket["id"], status="hold")
    assert sim.webhook_log[-1].status == 500 and len(receiver.received) == before + 1
    assert receiver.types()[-1] == "status_changed"
