"""The Slack simulator's external file upload through slack_sdk's WebClient over real HTTP:
files.getUploadURLExternal, the POST of the bytes, files.completeUploadExternal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.simulators.slack.server import SlackSimulator

TOKEN = "xoxb-test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    with SlackSimulator(token=TOKEN) as running:
        running.add_user("U1", "alice")
        running.add_channel("C1", "general", members=["U1"])
        running.add_channel("C2", "elsewhere", members=["U1"], bot_member=False)
        yield running


@pytest.fixture
def client(sim: SlackSimulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=sim.api_url)


def _slot(client: WebClient, length: int = len(PNG), **extra: str) -> dict[str, str]:
    got = client.files_getUploadURLExternal(filename="chart.png", length=length, **extra)
    return {"upload_url": got["upload_url"], "file_id": got["file_id"]}


def _error(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value.response["error"])


def test_an_upload_is_shared_with_its_alt_text(sim: SlackSimulator, client: WebClient) -> None:
    slot = _slot(client, alt_txt="Tickets per week: 3, 9")
    assert requests.post(slot["upload_url"], data=PNG, timeout=5).status_code == 200
    done = client.files_completeUploadExternal(
        files=[{"id": slot["file_id"], "title": "Support"}],
        channel_id="C1",
        initial_comment="This week",
    )
    assert done["files"] == [{"id": slot["file_id"], "title": "Support"}]
    [shared] = sim.shared_files()
    assert (shared["channel"], shared["alt_txt"], shared["png"]) == (
        "C1",
        "Tickets per week: 3, 9",
        True,
    )
    [message] = sim.messages("C1")
    assert message["text"] == "This week" and message["files"][0]["name"] == "chart.png"
    history = client.conversations_history(channel="C1")["messages"]
    assert history[0]["files"][0]["id"] == slot["file_id"]


@pytest.mark.slack_warnings
def test_completing_before_the_bytes_arrive_is_refused(
    sim: SlackSimulator, client: WebClient
) -> None:
    slot = _slot(client)
    files = [{"id": slot["file_id"]}]
    error = _error(lambda: client.files_completeUploadExternal(files=files, channel_id="C1"))
    assert error == "file_not_found"
    assert sim.warnings[-1]["warning"] == "file_completed_before_upload"


@pytest.mark.slack_warnings
def test_a_size_other_than_announced_is_refused(sim: SlackSimulator, client: WebClient) -> None:
    slot = _slot(client, length=len(PNG) + 1)
    requests.post(slot["upload_url"], data=PNG, timeout=5)
    files = [{"id": slot["file_id"]}]
    assert _error(lambda: client.files_completeUploadExternal(files=files, channel_id="C1")) == (
        "invalid_file_size"
    )
    assert sim.warnings[-1]["warning"] == "file_size_mismatch"


def test_unknown_files_channels_and_arguments_are_refused(
    sim: SlackSimulator, client: WebClient
) -> None:
    files = [{"id": "F0NOPE"}]
    assert _error(lambda: client.files_completeUploadExternal(files=files)) == "file_not_found"
    assert _error(lambda: _slot(client, length=0)) == "missing_argument"
    assert _error(lambda: _slot(client, alt_txt="x" * 1001)) == "alt_txt_too_large"
    for channel, error in (("C404", "channel_not_found"), ("C2", "not_in_channel")):
        slot = _slot(client)
        requests.post(slot["upload_url"], data=PNG, timeout=5)
        done = [{"id": slot["file_id"]}]
        assert (
            _error(
                lambda d=done, c=channel: client.files_completeUploadExternal(files=d, channel_id=c)
            )
            == error
        )
    slot = _slot(client)
    requests.post(slot["upload_url"], data=PNG, timeout=5)
    client.files_completeUploadExternal(files=[{"id": slot["file_id"]}], channel_id="C1")
    again = [{"id": slot["file_id"]}]
    assert _error(lambda: client.files_completeUploadExternal(files=again, channel_id="C1")) == (
        "file_not_found"
    )


def test_uploading_needs_files_write(sim: SlackSimulator, client: WebClient) -> None:
    sim.set_scopes(["chat:write"])
    assert _error(lambda: _slot(client)) == "missing_scope"
