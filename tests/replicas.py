"""Real `supportbot run` processes on loopback, as an operator starts replicas."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from cli_helpers import clean_env, free_port
from harness import BOT_TOKEN, SIGNING_SECRET, SUPPORT_CHANNEL, ZENDESK_SECRET
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db import normalize_url
from integrations.signatures import sign_zendesk
from integrations.simulators.slack.server import SlackSimulator
from integrations.simulators.zendesk.server import ZendeskSimulator

ROOT = Path(__file__).resolve().parent.parent


def replica_env(db_url: str, slack: SlackSimulator, desk: ZendeskSimulator) -> dict[str, str]:
    """The settings of a replica on `db_url` that talks to these simulators."""
    return {
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "SUPPORT_CHANNEL": SUPPORT_CHANNEL,
        "OUTBOX_CHANNEL_RATE": "0",
        "ZENDESK_URL": desk.url,
        "ZENDESK_EMAIL": desk.email,
        "ZENDESK_API_TOKEN": desk.api_token,
        "ZENDESK_WEBHOOK_SECRET": ZENDESK_SECRET,
        "LOG_LEVEL": "INFO",
    }


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """An empty database of its own on the PostgreSQL server of `server_url` (no lock or
    session of another test can be in the way), dropped afterwards with any sessions left."""
    server = make_url(normalize_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Replica:
    """One `supportbot run` process and where it listens."""

    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def health(self) -> dict[str, Any] | None:
        """Its /healthz report, or None when it does not answer."""
        try:
            answer = requests.get(f"{self.url}/healthz", timeout=2)
        except requests.RequestException:
            return None
        return answer.json() if answer.status_code == 200 else None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then wait."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_replica(env: dict[str, str], logs: Path, name: str) -> Replica:
    """Start `supportbot run` on a free port with `env` (its output goes to a file)."""
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env=clean_env({**env, "PYTHONPATH": str(ROOT)}),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return Replica(process, port, log)


def wait_healthy(replicas: list[Replica], timeout: float = 60) -> None:
    """Wait until every replica answers /healthz."""
    deadline = time.monotonic() + timeout
    for replica in replicas:
        while replica.health() is None:
            if replica.process.poll() is not None:
                raise AssertionError(f"replica exited: {replica.log.read_text()[-2000:]}")
            assert time.monotonic() < deadline, replica.log.read_text()[-2000:]
            time.sleep(0.1)


def wait_leader(replicas: list[Replica], timeout: float = 30, *, swept: bool = False) -> Replica:
    """The replica that leads (waits until one does); with `swept`, one that has also run a
    scheduled job (the leader flag is set as the lock is taken; the first sweep follows)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for replica in replicas:
            report = replica.process.poll() is None and replica.health()
            if report and report["scheduler"]["this_process_leads"]:
                if not swept or report["scheduler"]["last_tick"] is not None:
                    return replica
        time.sleep(0.05)
    tails = "\n".join(f"{r.log.name}: {r.log.read_text()[-3000:]}" for r in replicas)
    raise AssertionError(f"no replica became leader within {timeout} s\n{tails}")


def post_zendesk(url: str, secret: str, payload: dict[str, Any]) -> int:
    """POST one signed Zendesk webhook; its status, or 0 when the connection failed."""
    body = json.dumps(payload).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": sign_zendesk(secret, stamp, body),
    }
    try:
        return requests.post(
            f"{url}/webhooks/zendesk", data=body, headers=headers, timeout=10
        ).status_code
    except requests.RequestException:
        return 0


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
