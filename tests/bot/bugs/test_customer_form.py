"""The Tell the customers modal stays within Block Kit's limits however many tickets wait."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.bugs.customers import Offer, Waiting
from bot.bugs.render import customers as render
from integrations.simulators.slack.server import SlackSimulator

TOKEN = "xoxb-test"


@pytest.fixture
def slack() -> Iterator[tuple[SlackSimulator, WebClient]]:
    """A Slack simulator that checks views as Slack does."""
    with SlackSimulator(token=TOKEN, clock=lambda: 1_764_000_000.0) as sim:
        sim.add_user("U1", "ada")
        yield sim, WebClient(token=TOKEN, base_url=sim.api_url)


def _offer(n: int) -> Offer:
    tickets = [
        Waiting(i, f"Zendesk #{1000 + i}", "Checkout fails with a very long subject " * 3, "open")
        for i in range(1, n + 1)
    ]
    return Offer("SUP-1", 7, "Fixed in 2.4 <@U1> & co", tickets, told=3, scope={"user": None})


@pytest.mark.parametrize("n", [1, 10, 11, 80, 81, 1000])
def test_any_number_of_tickets_fits_one_modal(
    slack: tuple[SlackSimulator, WebClient], n: int
) -> None:
    sim, client = slack
    view = render.form(_offer(n))
    opened = client.views_open(trigger_id=sim.new_trigger_id("U1"), view=view)
    assert opened["ok"]
    groups = [b for b in view["blocks"] if b.get("block_id", "").startswith("customers_tickets")]
    assert all(len(g["element"]["options"]) <= 10 for g in groups)
    listed = sum(len(g["element"]["options"]) for g in groups)
    assert listed == min(n, render.SHOWN)
    others = [b for b in view["blocks"] if b.get("block_id") == "customers_others"]
    assert bool(others) == (n > render.SHOWN)
    if others:
        assert f"other {n - render.SHOWN}" in others[0]["element"]["options"][0]["text"]["text"]
    assert len(view["private_metadata"]) <= 3000


def test_the_form_reads_back_ticks_the_others_and_the_status() -> None:
    values = {
        "customers_reply": {"customers_reply": {"type": "plain_text_input", "value": "Fixed"}},
        "customers_tickets_0": {
            "customers_tickets_0": {"selected_options": [{"value": "3"}, {"value": "4"}]}
        },
        "customers_tickets_1": {"customers_tickets_1": {"selected_options": []}},
        "customers_others": {"customers_others": {"selected_options": [{"value": "all"}]}},
        "customers_status": {"customers_status": {"selected_option": {"value": "solved"}}},
    }
    assert render.read(values) == ("Fixed", [3, 4], True, "solved")
    values["customers_status"]["customers_status"]["selected_option"] = {"value": "keep"}
    values["customers_others"]["customers_others"]["selected_options"] = []
    assert render.read(values) == ("Fixed", [3, 4], False, None)
