"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from replicas import scratch_database
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot import migrate
from bot.db import make_engine, session_factory
from integrations.simulators.base import start_mark, started_since

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers this suite uses."""
    config.addinivalue_line(
        "markers",
        "slack_warnings: the test expects the Slack simulator to record warnings "
        "(otherwise any warning fails the test)",
    )
    config.addinivalue_line(
        "markers",
        "travel(start): the test's clock starts at `start` and moves the process's time along "
        "with it (for code that reads the real clock, such as Bolt or the simulators)",
    )


@pytest.fixture(autouse=True)
def no_slack_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test when a Slack simulator it started recorded a warning (something Slack
    accepts but flags, such as blocks without fallback `text`), unless it is marked
    `@pytest.mark.slack_warnings`."""
    mark = start_mark()
    yield
    if request.node.get_closest_marker("slack_warnings") is not None:
        return
    recorded = [
        warning
        for sim in started_since(mark)
        if sim.name == "slack"
        for warning in getattr(sim, "warnings", [])
    ]
    if recorded:
        pytest.fail(f"the Slack simulator recorded warnings: {recorded}", pytrace=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once per run)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this run, dropped afterwards."""
    assert PG_URL
    with scratch_database(PG_URL, "supportbot_test") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A URL of an empty, migrated database (one per test)."""
    if request.param == "sqlite":
        path = tmp_path / "supportbot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in migrate.metadata().sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test database."""
    return session_factory(engine)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A frozen clock shared by the app and the simulators; with `@pytest.mark.travel(start)`
    it starts at `start` and the process's time travels with it."""
    from harness import Clock, TravellingClock

    marker = request.node.get_closest_marker("travel")
    if marker is None:
        yield Clock()
        return
    start = marker.args[0]
    with time_machine.travel(start, tick=False) as traveller:
        yield TravellingClock(start, traveller)


@pytest.fixture
def app(db_url: str, clock: Any) -> Iterator[Any]:
    """The app serving on loopback against a Slack simulator."""
    from harness import start_app

    running = start_app(db_url, clock=clock)
    yield running
    running.stop()


@pytest.fixture
def desk(db_url: str, clock: Any) -> Iterator[Any]:
    """The app wired to a Zendesk simulator that sends it signed webhooks."""
    from harness import start_app

    running = start_app(db_url, clock=clock, zendesk=True)
    yield running
    running.stop()


@pytest.fixture
def bugdesk(db_url: str, clock: Any) -> Iterator[Any]:
    """The app wired to Zendesk and Jira simulators that send it signed webhooks."""
    from harness import start_app

    running = start_app(db_url, clock=clock, zendesk=True, jira=True)
    yield running
    running.stop()


@pytest.fixture
def backdesk(db_url: str, clock: Any) -> Iterator[Any]:
    """The app wired to Jira and a generic helpdesk that receives its signed callbacks."""
    from harness import start_app

    running = start_app(db_url, clock=clock, jira=True, helpdesk=True)
    yield running
    running.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many fuzzed requests each endpoint got, by status (see tests/fuzzing.py)."""
    from fuzzing import summary

    lines = summary()
    if lines:
        terminalreporter.section("fuzzed requests")
        for line in lines:
            terminalreporter.write_line(line)
