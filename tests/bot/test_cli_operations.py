"""Operating supportbot from the command line: the quick start, --version, and `db`."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cli_helpers import clean_env, free_port, run_cli, wait_ready
from conftest import PG_URL
from replicas import scratch_database
from sqlalchemy import text

from bot import migrate
from bot.db import make_engine
from integrations.simulators.slack.server import SlackSimulator

ROOT = Path(__file__).resolve().parents[2]
_SCRIPTS = ScriptDirectory(str(migrate.MIGRATIONS))
HEAD = _SCRIPTS.get_current_head()
PREVIOUS = _SCRIPTS.get_revision(HEAD).down_revision


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_version() -> None:
    result = run_cli(["--version"], ROOT)
    assert result.returncode == 0 and result.stdout.strip().startswith("supportbot 0.")


def test_env_example_with_only_the_http_values_filled_in_starts_the_bot(tmp_path: Path) -> None:
    filled = {
        "SLACK_BOT_TOKEN": "xoxb-quick-start",
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    }
    lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={filled[name]}" if name in filled else line)
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    port = free_port()
    with SlackSimulator(token=filled["SLACK_BOT_TOKEN"]) as slack:
        # Only where Slack and the port are, and JSON logs, come from the environment.
        env = clean_env({"SLACK_API_URL": slack.api_url, "PORT": str(port), "LOG_FORMAT": "json"})
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = wait_ready(f"http://127.0.0.1:{port}/readyz", process)
            assert ready.json() == {"ready": True, "reasons": []}
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    records = [json.loads(line) for line in stderr.splitlines()]
    [opened] = [r for r in records if r["msg"] == "database.opened"]
    assert opened["backend"] == "sqlite"
    assert opened["path"] == str(tmp_path / "supportbot.db")
    assert (tmp_path / "supportbot.db").is_file()


def test_db_upgrade_current_and_downgrade(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "sqlite:///bot.db"}  # relative: resolved in the working directory
    upgraded = run_cli(["db", "upgrade"], tmp_path, env)
    assert (
        upgraded.returncode == 0 and upgraded.stdout.strip() == f"current: {HEAD}; newest: {HEAD}"
    )
    assert (tmp_path / "bot.db").is_file()
    down = run_cli(["db", "downgrade", PREVIOUS], tmp_path, env)
    assert down.returncode == 0 and down.stdout.strip() == f"current: {PREVIOUS}; newest: {HEAD}"
    current = run_cli(["db", "current"], tmp_path, env)
    assert current.stdout.strip() == f"current: {PREVIOUS}; newest: {HEAD}"
    line = _one_line(run_cli(["db", "downgrade", "nope"], tmp_path, env))
    assert line.startswith("supportbot: downgrade failed:")
    assert run_cli(["db", "upgrade"], tmp_path, env).returncode == 0
    assert run_cli(["db", "current"], tmp_path, env).stdout.startswith(f"current: {HEAD}")


def test_bad_database_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    line = _one_line(
        run_cli(["db", "current"], tmp_path, {"DATABASE_URL": "postgresql://bot@db:port/x"})
    )
    assert line.startswith("supportbot: invalid setting DATABASE_URL: is not a valid URL")
    unreachable = f"postgresql://bot:hunter2@127.0.0.1:{free_port()}/supportbot"
    for command in (["db", "upgrade"], ["db", "current"], ["db", "backup", "x.db"], ["run"]):
        env = {
            "DATABASE_URL": unreachable,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
        }
        line = _one_line(run_cli(command, tmp_path, env))
        assert "cannot open the database postgresql://bot:***@127.0.0.1" in line, command
        assert "check DATABASE_URL" in line and "hunter2" not in line
    missing = {"DATABASE_URL": "sqlite:///missing.db"}
    for command in (["db", "current"], ["db", "downgrade", "base"], ["db", "backup", "x.db"]):
        line = _one_line(run_cli(command, tmp_path, missing))
        assert line.startswith(f"supportbot: no database at {tmp_path / 'missing.db'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_db_backup_copies_a_live_sqlite_database_with_its_write_ahead_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    assert run_cli(["db", "upgrade"], tmp_path, env).returncode == 0
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # committed rows stay in live.db-wal
    writer.execute("CREATE TABLE notes (body TEXT)")
    writer.executemany("INSERT INTO notes VALUES (?)", [("committed",)] * 100)
    assert (tmp_path / "live.db-wal").stat().st_size > 0
    writer.execute("BEGIN IMMEDIATE")  # the bot is mid-write while the backup runs
    writer.execute("INSERT INTO notes VALUES ('uncommitted')")
    try:
        result = run_cli(["db", "backup", "copy.db"], tmp_path, env)
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"backed up {path} to {tmp_path / 'copy.db'}")
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("SELECT count(*) FROM notes").fetchone() == (100,)
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        copy.close()
    assert not (tmp_path / "copy.db-wal").exists()
    assert not (tmp_path / "copy.db.partial").exists()
    line = _one_line(run_cli(["db", "backup", "copy.db"], tmp_path, env))
    assert line == f"supportbot: {tmp_path / 'copy.db'} exists; give a new file name"


def test_db_backup_on_postgresql_says_how_to_use_pg_dump(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL backups are pg_dump's job")
    line = _one_line(run_cli(["db", "backup", "out.dump"], tmp_path, {"DATABASE_URL": db_url}))
    assert "use pg_dump: pg_dump --format=custom --file=out.dump 'postgresql://" in line
    assert "pg_restore" in line
    assert not (tmp_path / "out.dump").exists()


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_replicas_upgrading_a_fresh_postgresql_database_at_once_leave_one_schema(
    tmp_path: Path,
) -> None:
    assert PG_URL
    with scratch_database(PG_URL, "supportbot_race") as url:
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda _: run_cli(["db", "upgrade"], tmp_path, {"DATABASE_URL": url}),
                    range(4),
                )
            )
        for result in results:
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip() == f"current: {HEAD}; newest: {HEAD}"
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
                assert versions == [(HEAD,)]
                opts = {"compare_type": True, "include_name": migrate.include_name}
                context = MigrationContext.configure(conn, opts=opts)
                assert compare_metadata(context, migrate.metadata()) == []
        finally:
            engine.dispose()


def test_run_on_a_database_a_newer_version_migrated_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "sqlite:///bot.db",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
    }
    assert run_cli(["db", "upgrade"], tmp_path, env).returncode == 0
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    result = run_cli(["run"], tmp_path, env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("supportbot:")]
    assert line.startswith("supportbot: cannot migrate the database: Can't locate revision")
