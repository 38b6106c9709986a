"""`supportbot run` as real processes for the benchmarks: start, find the leader, kill, wait."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parent.parent
# Settings of the benchmark's own environment must not leak into the app's.
SETTING_PREFIXES = ("SLACK_", "DATABASE_URL", "JIRA_", "ZENDESK_", "HELPDESK_", "SUPPORT_")


def free_port() -> int:
    """A loopback port nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class App:
    """One `supportbot run` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def health(self) -> dict[str, Any] | None:
        """Its /healthz report, or None when it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:  # noqa: S310
                return json.loads(answer.read())
        except OSError:
            return None

    def leads(self) -> bool:
        """Whether it says it leads."""
        report = self.health()
        return bool(report and report["scheduler"]["this_process_leads"])

    def kill(self) -> None:
        """SIGKILL."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start(env: dict[str, str], name: str = "app") -> App:
    """Start `supportbot run` on a free port; its log goes to a temporary file."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="supportbot-bench-")) / f"{name}.log"
    base = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env={**base, "LOG_LEVEL": "WARNING", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return App(process, port, log)


def wait_healthy(apps: list[App], timeout: float = 90) -> None:
    """Wait until every app answers /healthz."""
    deadline = time.monotonic() + timeout
    for app in apps:
        while app.health() is None:
            if app.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the app did not start: {app.log.read_text()[-2000:]}")
            time.sleep(0.05)


def wait_leader(apps: list[App], timeout: float = 60) -> App | None:
    """The app that leads, polling every 20 ms (None after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for app in apps:
            if app.process.poll() is None and app.leads():
                return app
        time.sleep(0.02)
    return None


def backlog(engine: Engine) -> int:
    """Stored events, outbox rows and pending calls still waiting (0 when all is done)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM inbound_events WHERE status = 'pending') + "
                    "(SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'sending'))"
                    " + (SELECT count(*) FROM pending_calls WHERE status IN ('pending', 'running'))"
                )
            ).scalar()
            or 0
        )


def drain(engine: Engine, timeout: float = 600) -> float:
    """Wait until nothing is left waiting (`backlog` is 0); returns the seconds it took."""
    started = time.monotonic()
    while backlog(engine) and time.monotonic() - started < timeout:
        time.sleep(0.05)
    return time.monotonic() - started
