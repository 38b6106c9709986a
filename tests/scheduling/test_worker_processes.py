"""Worker processes: `supportbot work` processes what another process stored, `supportbot run`
starts, restarts and outlives none of them (PostgreSQL); SQLite refuses them."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_helpers import clean_env, run_cli
from harness import BOT_TOKEN, SIGNING_SECRET, SUPPORT_CHANNEL, ZENDESK_SECRET, manifest_scopes
from replicas import ROOT, post_zendesk, replica_env, start_replica, wait_healthy
from sqlalchemy import func, select

from bot.main import build_runtime
from bot.models import InboundEvent
from bot.settings import Settings
from handlers.server import WebServer
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator
from scheduling.worker_processes import MAX_AUTO, WorkerProcesses, wanted

TICKETS = 6


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces, so split after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie waits only to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait(predicate, timeout: float, what: str, log: Path | None = None) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None else ""
            raise AssertionError(f"{what} within {timeout} s\n{tail}")
        time.sleep(0.05)


def test_how_many_worker_processes() -> None:
    assert wanted(None, "sqlite") == 0 and wanted(3, "sqlite") == 0
    assert wanted(0, "postgresql") == 0 and wanted(2, "postgresql") == 2
    cores = len(os.sched_getaffinity(0))
    assert wanted(None, "postgresql") == max(0, min(cores - 1, MAX_AUTO))


def test_a_worker_process_that_keeps_failing_is_restarted_and_named_by_readiness(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    workers = WorkerProcesses(1, command=failing, down_after=0.3)
    now = datetime.now(UTC)
    with caplog.at_level(logging.INFO, logger="supportbot.workers"):
        workers.start()
        try:
            assert workers.probe(now) is None  # just started
            _wait(lambda: workers.probe(now) is not None, 10, "readiness did not say so")
            assert workers.probe(now) == (
                "workers: 1 of 1 worker process(es) down for more than 0.3 s (restarting)"
            )
            _wait(
                lambda: sum("workers.started" in r.getMessage() for r in caplog.records) >= 2,
                10,
                "the failed worker process was not started again",
            )
        finally:
            workers.stop()
    exits = [r.getMessage() for r in caplog.records if "workers.exited" in r.getMessage()]
    assert exits and exits[0].startswith("workers.exited slot=0 code=3 restart_in=1s")


def test_a_worker_process_processes_what_another_process_stored(
    scratch_url: str, tmp_path: Path
) -> None:
    """Signed webhooks are stored by an app whose own workers never run; a `supportbot work`
    process alone turns them into tickets, and their threads reach Slack once each."""
    slack = SlackSimulator(token=BOT_TOKEN, scopes=manifest_scopes()).start()
    slack.add_channel(SUPPORT_CHANNEL, "support")
    desk = ZendeskSimulator(webhook_secret=ZENDESK_SECRET).start()
    env = replica_env(scratch_url, slack, desk)
    assert run_cli(["db", "upgrade"], cwd=tmp_path, env=env).returncode == 0
    settings = Settings(
        _env_file=None, **{k.lower(): v for k, v in env.items() if k != "LOG_LEVEL"}
    )
    runtime = build_runtime(settings, scheduler=False)  # its workers are never started
    server = WebServer(runtime.web).start()
    log = tmp_path / "work.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "work"],
            cwd=ROOT,
            env=clean_env({**env, "PYTHONPATH": str(ROOT)}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        desk.deliver = "queue"
        customer = desk.add_user("Casey Customer")
        for n in range(TICKETS):
            ticket = desk.create_ticket(
                f"Worker ticket {n}", f"first {n}", requester_id=customer["id"]
            )
            desk.add_comment(ticket["id"], f"note {n}", author_id=customer["id"])
        for payload in desk.pending_webhooks:
            assert post_zendesk(server.url, ZENDESK_SECRET, payload) == 200
        stored = len(desk.pending_webhooks)

        def processed() -> bool:
            assert worker.poll() is None, log.read_text()[-3000:]
            with runtime.engine.connect() as conn:
                done = conn.scalar(
                    select(func.count()).where(InboundEvent.status.in_(("done", "ignored")))
                )
            return done == stored

        _wait(processed, 30, "the worker process did not finish every stored event", log)

        def roots() -> list[dict]:
            runtime.dispatcher.drain(timeout=1)  # this process delivers, as `supportbot run` does
            return [m for m in slack.messages(SUPPORT_CHANNEL) if "Worker ticket" in m["text"]]

        # A new ticket's root waits for its requester's name, which the worker looks up.
        _wait(lambda: len(roots()) == TICKETS, 30, "not every ticket reached Slack", log)
        for root in roots():
            replies = [r["text"] for r in slack.replies(SUPPORT_CHANNEL, root["ts"])]
            assert sum("note " in r for r in replies) == 1, replies
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0, log.read_text()[-3000:]
        assert "Traceback" not in log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        server.stop()
        runtime.stop()
        slack.stop()
        desk.stop()


def test_run_starts_restarts_and_never_orphans_its_worker_processes(
    scratch_url: str, tmp_path: Path
) -> None:
    slack = SlackSimulator(token=BOT_TOKEN, scopes=manifest_scopes()).start()
    slack.add_channel(SUPPORT_CHANNEL, "support")
    desk = ZendeskSimulator(webhook_secret=ZENDESK_SECRET).start()
    app = start_replica(
        {**replica_env(scratch_url, slack, desk), "WORKER_PROCESSES": "2"}, tmp_path, "run"
    )
    try:
        wait_healthy([app])
        pid = app.process.pid
        _wait(lambda: len(_children(pid)) == 2, 20, "two worker processes did not start", app.log)
        first = sorted(_children(pid))
        for child in first:
            assert "work" in Path(f"/proc/{child}/cmdline").read_text().split("\0")
        # One dies: the parent starts another in its place.
        os.kill(first[0], signal.SIGKILL)
        _wait(
            lambda: len(_children(pid)) == 2 and first[0] not in _children(pid),
            20,
            "the killed worker process was not replaced",
            app.log,
        )
        workers = _children(pid)
        # Ctrl-C in a terminal reaches the foreground process group, not worker processes:
        # their parent stops them when it stops itself.
        assert all(os.getpgid(w) not in (os.getpgid(pid), os.getpgrp()) for w in workers)
        # Work still flows: a ticket webhook reaches Slack.
        desk.deliver = "queue"
        customer = desk.add_user("Casey Customer")
        desk.create_ticket("Still working", "after a restart", requester_id=customer["id"])
        for payload in desk.pending_webhooks:
            assert post_zendesk(app.url, ZENDESK_SECRET, payload) == 200
        _wait(
            lambda: any("Still working" in m["text"] for m in slack.messages(SUPPORT_CHANNEL)),
            30,
            "the ticket did not reach Slack",
            app.log,
        )
        # The parent killed outright: its worker processes stop by themselves.
        app.kill()
        _wait(
            lambda: not any(_running(w) for w in workers),
            10,
            "worker processes outlived their parent",
            app.log,
        )
        assert "workers.exited" in app.log.read_text()
    finally:
        app.stop()
        slack.stop()
        desk.stop()


def test_sqlite_refuses_worker_processes(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    run = run_cli(["run", "--port", "0"], cwd=tmp_path, env={**env, "WORKER_PROCESSES": "1"})
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "supportbot: WORKER_PROCESSES: SQLite runs in one process; leave it empty or 0, or use "
        "PostgreSQL (DATABASE_URL) for worker processes"
    ]
    check = run_cli(["check"], cwd=tmp_path, env={**env, "WORKER_PROCESSES": "1"})
    assert check.returncode == 1
    assert check.stdout.splitlines()[0] == (
        "settings: FAILED - WORKER_PROCESSES=1 with a SQLite DATABASE_URL: SQLite runs in one "
        "process, so `supportbot run` refuses it; leave it empty or 0"
    )
    assert run_cli(["db", "upgrade"], cwd=tmp_path, env=env).returncode == 0
    work = run_cli(["work"], cwd=tmp_path, env=env)
    assert work.returncode == 2
    lines = work.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0], work.stderr
