"""`supportbot run` and `supportbot check` in Socket Mode, as real processes against the Slack
simulator: a bad app token is one line and exit 2 before anything is written; a good one
connects, answers a command over the link, and stops cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import clean_env, free_port, run_cli, wait_ready
from harness import APP_TOKEN, BOT_TOKEN

from integrations.simulators.driver.socket import SocketDriver
from integrations.simulators.slack.server import SlackSimulator


@pytest.fixture
def slack() -> Any:
    """A Slack simulator that knows the test's bot and app-level tokens."""
    sim = SlackSimulator(token=BOT_TOKEN, app_token=APP_TOKEN).start()
    sim.add_user("U0AGENT", "agent", real_name="Ada Agent")
    sim.add_channel("C0SUPPORT", "support", members=["U0AGENT"])
    yield sim
    sim.stop()


def _env(slack: SlackSimulator, tmp_path: Path, app_token: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": app_token,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        **extra,
    }


@pytest.mark.parametrize(
    ("token", "revoked", "words"),
    [
        ("xapp-1-A0SIM-1-wrong", False, "SLACK_APP_TOKEN is not a valid app-level token"),
        (APP_TOKEN, True, "SLACK_APP_TOKEN has been revoked"),
    ],
)
def test_a_bad_app_token_is_one_line_exit_2_and_nothing_written(
    slack: SlackSimulator, tmp_path: Path, token: str, revoked: bool, words: str
) -> None:
    slack.socket_mode.revoked = revoked
    result = run_cli(["run", "--port", str(free_port())], tmp_path, _env(slack, tmp_path, token))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("supportbot: cannot connect to Slack in Socket Mode: ")
    assert words in lines[0] and "connections:write" in lines[0]
    assert "Traceback" not in result.stderr and token not in result.stderr
    assert not (tmp_path / "bot.db").exists()
    assert slack.socket_mode.links == []


def test_an_unreachable_slack_is_one_line_exit_2(slack: SlackSimulator, tmp_path: Path) -> None:
    env = _env(slack, tmp_path, APP_TOKEN, SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    result = run_cli(["run"], tmp_path, env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot reach Slack" in result.stderr
    assert not (tmp_path / "bot.db").exists()


def test_check_reports_whether_the_app_token_opens_a_link(
    slack: SlackSimulator, tmp_path: Path
) -> None:
    run_cli(["db", "upgrade"], tmp_path, _env(slack, tmp_path, APP_TOKEN))
    good = run_cli(["check"], tmp_path, _env(slack, tmp_path, APP_TOKEN))
    assert "slack socket mode: ok - the app-level token opens a link" in good.stdout
    bad = run_cli(["check"], tmp_path, _env(slack, tmp_path, "xapp-1-A0SIM-1-wrong"))
    assert bad.returncode == 1
    line = next(x for x in bad.stdout.splitlines() if x.startswith("slack socket mode:"))
    assert line.startswith("slack socket mode: FAILED - SLACK_APP_TOKEN is not a valid")


def test_run_in_socket_mode_answers_over_the_link_and_stops_cleanly(
    slack: SlackSimulator, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(_env(slack, tmp_path, APP_TOKEN, HOST="127.0.0.1", PORT=str(port)))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--no-scheduler"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert slack.socket_mode.wait_links(1, timeout=30), "no Socket Mode link was opened"
        wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        driver = SocketDriver(slack)
        answer = driver.command("/support", "help", user_id="U0AGENT", channel_id="C0SUPPORT")
        assert answer.status == 200 and "/support help" in json.dumps(answer.json)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and APP_TOKEN not in stderr
    assert slack.socket_mode.wait_no_links(timeout=10)
