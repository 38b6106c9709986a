"""The generic helpdesk's callback receiver checks what README promises a desk can check."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from integrations.helpdesk_callback import HelpdeskCallback, HelpdeskError
from integrations.signatures import sign_helpdesk
from integrations.simulators.helpdesk import HelpdeskReceiver

SECRET = "callback-secret"
NOW = 1_790_000_000.0


@pytest.fixture
def receiver() -> Iterator[HelpdeskReceiver]:
    """A receiver on a fixed clock."""
    sim = HelpdeskReceiver(SECRET, clock=lambda: NOW).start()
    yield sim
    sim.stop()


def _client(receiver: HelpdeskReceiver, secret: str = SECRET, at: float = NOW) -> HelpdeskCallback:
    return HelpdeskCallback(receiver.url, secret, clock=lambda: at)


def _send(client: HelpdeskCallback, key: str = "k1") -> dict:
    return client.send(
        kind="ticket.reply",
        source="freshdesk",
        ticket_id="FD-1",
        body="Fixed in 2.4",
        idempotency_key=key,
        status="pending",
    )


def test_a_signed_callback_is_applied_once_per_idempotency_key(receiver: HelpdeskReceiver) -> None:
    first = _send(_client(receiver))
    again = _send(_client(receiver))
    assert first == again
    assert receiver.replies("FD-1") == ["Fixed in 2.4"] and receiver.duplicates == 1
    assert receiver.statuses == {"FD-1": "pending"}


def test_wrong_secret_or_stale_timestamp_is_refused_for_good(receiver: HelpdeskReceiver) -> None:
    for client in (_client(receiver, secret="nope"), _client(receiver, at=NOW - 600)):
        with pytest.raises(HelpdeskError) as caught:
            _send(client)
        assert caught.value.status == 401 and caught.value.permanent
    assert receiver.received == []


def test_a_key_header_that_differs_from_the_body_is_refused(receiver: HelpdeskReceiver) -> None:
    body = json.dumps(
        {
            "type": "ticket.note",
            "idempotency_key": "a",
            "source": "freshdesk",
            "ticket_id": "FD-1",
            "comment": {"body": "x", "public": False},
        }
    ).encode()
    stamp = str(int(NOW))
    headers = {
        "Idempotency-Key": "b",
        "Content-Type": "application/json",
        "X-Helpdesk-Timestamp": stamp,
        "X-Helpdesk-Signature": sign_helpdesk(SECRET, stamp, body),
    }
    answer = requests.post(receiver.url, data=body, headers=headers, timeout=5)
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json()["error"]


def test_outages_and_rate_limits_are_retryable(receiver: HelpdeskReceiver) -> None:
    receiver.fail("callback", 429, {"error": "slow down"}, headers={"Retry-After": "7"})
    with pytest.raises(HelpdeskError) as caught:
        _send(_client(receiver))
    assert not caught.value.permanent and caught.value.retry_after == 7
    client = _client(receiver)
    receiver.stop()
    with pytest.raises(HelpdeskError) as down:
        _send(client)
    assert down.value.status == 0 and not down.value.permanent
