"""Running `supportbot` as an operator does: a subprocess with a clean environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

# Prefixes of every setting: the test's own environment must not leak into the command.
SETTING_NAMES = (
    "SLACK_",
    "DATABASE_URL",
    "JIRA_",
    "ZENDESK_",
    "HELPDESK_",
    "SUPPORT_",
    "PORT",
    "HOST",
    "TIMEZONE",
    "LOG_",
    "PRODUCT_",
    "SCHEDULER_",
    "OUTBOX_",
    "DIGEST_",
    "SHOW_",
    "ACCESS_",
    "SIMILAR_",
)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_NAMES)}
    env.update(extra or {})
    return env


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`supportbot ARGS` in `cwd`; returns the finished process with its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A loopback port nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 30) -> requests.Response:
    """Poll `url` until it answers 200; fails with the process's output if it exits."""
    deadline = time.monotonic() + timeout
    last: requests.Response | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(f"supportbot exited {process.returncode}: {err}")
        try:
            last = requests.get(url, timeout=1)
            if last.status_code == 200:
                return last
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered 200 (last: {last and last.text})")
