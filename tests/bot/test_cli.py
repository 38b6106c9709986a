"""The `supportbot` command as an operator meets it: settings errors, guidance, the outbox."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from cli_helpers import clean_env, run_cli
from sqlalchemy import text

from bot import outbox
from bot.db import transaction
from bot.tickets import similar
from bot.tickets.models import Ticket


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return run_cli(args, cwd, env, timeout)


def test_bad_settings_give_one_line_each_and_exit_2(tmp_path: Path) -> None:
    result = _run(
        ["check"],
        tmp_path,
        {
            "SLACK_BOT_TOKEN": "xoxp-user-token",
            "PORT": "99999",
            "TIMEZONE": "Mars/Olympus",
            "SUPPORT_CHANNEL": "#support",
            "SUPPORT_LEADS": "alice",
            "LOG_FORMAT": "xml",
        },
    )
    assert result.returncode == 2
    lines = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert len(lines) == 6
    assert lines[0].startswith("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
    assert any(line.startswith("PORT:") for line in lines)
    assert any(line.startswith("TIMEZONE: unknown time zone 'Mars/Olympus'") for line in lines)
    assert any(line.startswith("SUPPORT_CHANNEL:") and "C0123ABCD" in line for line in lines)
    assert any(line.startswith("SUPPORT_LEADS:") for line in lines)
    assert any(line.startswith("LOG_FORMAT:") for line in lines)
    assert "Traceback" not in result.stderr
    assert "xoxp-user-token" not in result.stderr


def test_run_without_tokens_migrates_then_says_what_to_set(tmp_path: Path) -> None:
    result = _run(["run"], tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN: not set" in result.stderr
    assert "SLACK_SIGNING_SECRET: not set" in result.stderr
    assert "app_manifest.yml" in result.stderr and "supportbot demo" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "supportbot.db").exists()


def test_run_with_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "secret",
        "DATABASE_URL": f"postgresql://bot:hunter2@127.0.0.1:{port}/supportbot",
    }
    result = _run(["run"], tmp_path, env)
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr and "check DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_run_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "secret"}
        result = _run(["run", "--host", "127.0.0.1", "--port", str(port)], tmp_path, env)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUPPORT_CHANNEL=not-a-channel\n")
    result = _run(["check"], tmp_path)
    assert result.returncode == 2 and "SUPPORT_CHANNEL:" in result.stderr


def test_check_reports_each_connection(app: Any, tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": app.slack.token,
        "SLACK_API_URL": app.slack.api_url,
        "DATABASE_URL": app.runtime.settings.database_url,
    }
    result = _run(["check"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "settings: ok" in result.stdout
    assert "database: ok" in result.stdout
    assert "slack: ok - connected as" in result.stdout
    env["SLACK_BOT_TOKEN"] = "xoxb-wrong"
    result = _run(["check"], tmp_path, env)
    assert result.returncode == 1
    assert "slack: FAILED - auth.test said invalid_auth" in result.stdout
    assert "xoxb-wrong" not in result.stdout


def test_outbox_command_lists_dead_letters_and_retries_them(app: Any, tmp_path: Path) -> None:
    with transaction(app.runtime.factory) as session:
        outbox.enqueue_post(session, key="lost", channel="C0NOSUCH", text="x", now=app.clock.now())
    app.settle()
    env = {"DATABASE_URL": app.runtime.settings.database_url}
    listing = _run(["outbox"], tmp_path, env)
    assert listing.returncode == 0
    assert "dead=1" in listing.stdout and "channel_not_found" in listing.stdout
    assert _run(["outbox", "retry"], tmp_path, env).returncode == 2
    with transaction(app.runtime.factory) as session:
        outbox.enqueue_post(session, key="q", channel="C0SUPPORT", text="y", now=app.clock.now())
        rows = {r.key: r.id for r in outbox.listing(session, ["pending", "dead"], limit=10)}
    wrong = _run(["outbox", "retry", str(rows["q"]), str(rows["lost"]), "999"], tmp_path, env)
    assert wrong.returncode == 1
    assert f"#{rows['q']} is not a dead letter (it is " in wrong.stderr  # pending, or sent
    assert "#999 is not a dead letter (there is no such message)" in wrong.stderr
    with transaction(app.runtime.factory) as session:  # nothing was retried half-way
        assert outbox.counts(session)["dead"] == 1
    retried = _run(["outbox", "retry", "--all"], tmp_path, env)
    assert "1 dead letter(s) queued again" in retried.stdout
    with transaction(app.runtime.factory) as session:
        assert "dead" not in outbox.counts(session)


@pytest.mark.parametrize("db", ["sqlite"])
def test_run_serves_until_sigterm_and_stops_cleanly(app: Any, tmp_path: Path, db: str) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = clean_env(
        {
            "SLACK_BOT_TOKEN": app.slack.token,
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_API_URL": app.slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "SUPPORT_CHANNEL": "C0SUPPORT",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SCHEDULER_TICK_SECONDS": "1",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        report = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                report = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
                if report["outbox"]["sent"] >= 1:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        assert report is not None, process.stderr.read() if process.poll() is not None else ""
        assert report["scheduler"]["running"] is True
        assert report["scheduler"]["this_process_leads"] is True
        assert report["outbox"]["sent"] == 1  # the welcome note went through the outbox
        assert len(app.slack.messages("C0SUPPORT")) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_search_rebuild_indexes_every_ticket_again(desk: Any, tmp_path: Path) -> None:
    customer = desk.zendesk.add_user("Carla Customer", email="carla@globex.test")
    for subject in ("Card declined at checkout", "CSV export times out", "Hi"):
        desk.zendesk.create_ticket(subject, subject, requester_id=customer["id"])
    desk.settle()
    with transaction(desk.runtime.factory) as session:
        session.execute(text("DELETE FROM ticket_search"))
    env = {"DATABASE_URL": desk.runtime.settings.database_url}
    result = _run(["search", "rebuild"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "search index rebuilt: 2 ticket(s) indexed" in result.stdout
    with transaction(desk.runtime.factory) as session:
        ticket = session.query(Ticket).filter_by(subject="CSV export times out").one()
        probe = Ticket(**{**_columns(ticket), "id": None, "external_id": "probe"})
        session.add(probe)
        session.flush()
        assert [m.ticket.id for m in similar.find(session, probe, desk.clock.now())] == [ticket.id]
        session.rollback()


def _columns(ticket: Ticket) -> dict[str, Any]:
    return {c.key: getattr(ticket, c.key) for c in Ticket.__table__.columns}
