"""The Slack simulator refuses the Block Kit Slack refuses; it flags blocks without text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.simulators.slack.server import SlackSimulator

TOKEN = "xoxb-test"
pytest_plugins = ["pytester"]


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    with SlackSimulator(token=TOKEN, clock=lambda: 1_764_000_000.0) as sim:
        sim.add_user("U1", "alice")
        sim.add_channel("C1", "support", members=["U1"])
        yield sim


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=sim.api_url)


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _button(action_id: str, text: Any = None) -> dict[str, Any]:
    label = text or {"type": "plain_text", "text": "Go"}
    return {"type": "button", "action_id": action_id, "text": label}


def _refusal(client: WebClient, blocks: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    return list(caught.value.response["response_metadata"]["messages"])


def test_section_fields_over_2000_characters_are_refused(client: WebClient) -> None:
    [reason] = _refusal(client, [{"type": "section", "fields": [_mrkdwn("x" * 2001)]}])
    assert "must be less than 2001 characters" in reason
    assert reason.endswith("[json-pointer:/blocks/0/fields/0/text]")
    ok = [{"type": "section", "fields": [_mrkdwn("x" * 2000)]}]
    assert client.chat_postMessage(channel="C1", text="fallback", blocks=ok)["ok"]


def test_empty_text_objects_are_refused(client: WebClient) -> None:
    [reason] = _refusal(client, [{"type": "context", "elements": [_mrkdwn("")]}])
    assert "must be more than 0 characters" in reason and "/blocks/0/elements/0/text" in reason


def test_a_block_id_used_twice_in_a_message_is_refused(client: WebClient) -> None:
    blocks = [
        {"type": "section", "block_id": "b", "text": _mrkdwn("one")},
        {"type": "section", "block_id": "b", "text": _mrkdwn("two")},
    ]
    [reason] = _refusal(client, blocks)
    assert '`block_id` "b" already exists' in reason and "/blocks/1/block_id" in reason


def test_an_action_id_used_twice_in_one_block_is_refused(client: WebClient) -> None:
    [reason] = _refusal(client, [{"type": "actions", "elements": [_button("a"), _button("a")]}])
    assert '`action_id` "a" already exists' in reason
    assert reason.endswith("[json-pointer:/blocks/0/elements/1/action_id]")
    # The same action_id in two blocks is fine (Slack scopes it to its block).
    two = [
        {"type": "actions", "block_id": "x", "elements": [_button("a")]},
        {"type": "actions", "block_id": "y", "elements": [_button("a")]},
    ]
    assert client.chat_postMessage(channel="C1", text="fallback", blocks=two)["ok"]


def test_headers_and_buttons_take_plain_text_only(client: WebClient) -> None:
    header = {"type": "header", "text": _mrkdwn("*bold*")}
    button = {"type": "actions", "elements": [_button("a", _mrkdwn("Go"))]}
    reasons = _refusal(client, [header, button])
    assert any("/blocks/0/text/type" in r for r in reasons)
    assert any("/blocks/1/elements/0/text/type" in r for r in reasons)


def test_option_text_and_value_limits(client: WebClient) -> None:
    option = {"text": {"type": "plain_text", "text": "o" * 76}, "value": "v" * 151}
    select = {"type": "static_select", "action_id": "pick", "options": [option]}
    reasons = _refusal(client, [{"type": "actions", "elements": [select]}])
    assert any("less than 76" in r and "/options/0/text/text" in r for r in reasons)
    assert any("less than 151" in r and "/options/0/value" in r for r in reasons)


def test_views_get_the_same_checks(sim: SlackSimulator, client: WebClient) -> None:
    view = {
        "type": "home",
        "blocks": [
            {"type": "section", "block_id": "s", "text": _mrkdwn("one")},
            {"type": "section", "block_id": "s", "fields": [_mrkdwn("x" * 2001)]},
        ],
    }
    with pytest.raises(SlackApiError) as caught:
        client.views_publish(user_id="U1", view=view)
    assert caught.value.response["error"] == "invalid_arguments"
    reasons = caught.value.response["response_metadata"]["messages"]
    assert any("/view/blocks/1/block_id" in r for r in reasons)
    assert any("/view/blocks/1/fields/0/text" in r for r in reasons)


@pytest.mark.slack_warnings
def test_ephemeral_and_response_url_blocks_without_text_are_flagged(
    sim: SlackSimulator, client: WebClient
) -> None:
    blocks = [{"type": "section", "text": _mrkdwn("hi")}]
    with pytest.warns(UserWarning):
        answer = client.chat_postEphemeral(channel="C1", user="U1", blocks=blocks)
    assert answer["warning"] == "missing_text_in_blocks"
    assert answer["response_metadata"]["warnings"] == ["missing_text_in_blocks"]
    url = sim.new_response_url("C1", "U1")
    assert requests.post(url, json={"blocks": blocks}, timeout=5).status_code == 200
    sim.deliver_ack("C1", "U1", {"blocks": blocks})
    assert [w["method"] for w in sim.warnings] == ["chat.postEphemeral", "response_url", "ack"]


@pytest.mark.slack_warnings  # the inner run's simulators are this process's too
def test_a_test_whose_slack_simulator_warned_fails_unless_marked(
    pytester: pytest.Pytester,
) -> None:
    suite = Path(__file__).parents[2] / "conftest.py"
    pytester.makeconftest(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('suite_conftest', {str(suite)!r})\n"
        "suite = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(suite)\n"
        "no_slack_warnings, pytest_configure = suite.no_slack_warnings, suite.pytest_configure\n"
    )
    pytester.makepyfile(
        """
        import pytest
        from slack_sdk import WebClient
        from integrations.simulators.slack.server import SlackSimulator

        BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]

        def _post_without_text():
            with SlackSimulator(token="xoxb-t") as sim:
                sim.add_channel("C1", "support")
                WebClient(token="xoxb-t", base_url=sim.api_url).chat_postMessage(
                    channel="C1", blocks=BLOCKS
                )

        def test_unmarked():
            _post_without_text()

        @pytest.mark.slack_warnings
        def test_marked():
            _post_without_text()
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::UserWarning")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_unmarked*", "*missing_text_in_blocks*"]
    )


def test_checkboxes_hold_at_most_ten_options(sim: SlackSimulator, client: WebClient) -> None:
    options = [
        {"text": {"type": "plain_text", "text": f"#{i}"}, "value": str(i)} for i in range(11)
    ]
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Pick"},
        "blocks": [
            {
                "type": "input",
                "block_id": "pick",
                "label": {"type": "plain_text", "text": "Tickets"},
                "element": {"type": "checkboxes", "action_id": "pick", "options": options},
            }
        ],
    }
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=sim.new_trigger_id("U1"), view=view)
    assert caught.value.response["error"] == "invalid_arguments"
    assert "no more than 10 items" in str(caught.value.response.get("response_metadata"))
    view["blocks"][0]["element"]["options"] = options[:10]
    assert client.views_open(trigger_id=sim.new_trigger_id("U1"), view=view)["ok"]
