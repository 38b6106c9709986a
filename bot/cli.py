"""`supportbot`: run the app, check its settings and connections, migrate, inspect the outbox."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError

from bot.settings import Settings, describe_errors, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

SETUP_GUIDE = """\
To create the Slack app: open https://api.slack.com/apps, choose "Create New App" then
"From a manifest", paste app_manifest.yml from this repository, install the app to your
workspace, and put its tokens in .env (copy .env.example; every setting is explained there).
To see supportbot work without Slack or any token, run:  .venv/bin/supportbot demo"""


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as err:
        lines = describe_errors(err)
        if len(lines) == 1:
            print(f"supportbot: invalid setting {lines[0]}", file=sys.stderr)
        else:
            print("supportbot: invalid settings:", file=sys.stderr)
            for line in lines:
                print(f"  {line}", file=sys.stderr)
        raise SystemExit(2) from None


def _fail(message: str) -> NoReturn:
    print(f"supportbot: {message}", file=sys.stderr)
    raise SystemExit(2)


def _database(settings: Settings, *, create: bool = False) -> Engine:
    """An engine on DATABASE_URL that answers, or one line on stderr and exit 2 (a SQLite
    file is created only when `create`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import make_engine, sqlite_path
    from bot.logs import scrub

    engine = make_engine(settings.database_url)
    where = _shown(engine)
    path = sqlite_path(engine)
    if path is not None and not create and not path.is_file():
        _fail(f"no database at {path}; `supportbot db upgrade` creates it (check DATABASE_URL)")
    try:
        engine.connect().close()
    except SQLAlchemyError as err:
        reason = scrub(str(getattr(err, "orig", None) or err).strip().splitlines()[0][:300])
        _fail(
            f"cannot open the database {where}: {reason}; check DATABASE_URL (example: "
            "DATABASE_URL=postgresql://supportbot@db.internal/supportbot) and that the server "
            "is running"
        )
    return engine


def _shown(engine: Engine) -> str:
    """The database URL as an operator wrote it, password hidden."""
    url = engine.url.set(drivername=engine.url.get_backend_name())
    return url.render_as_string(hide_password=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Migrate, then serve HTTP (and Socket Mode), with the scheduler unless told not to."""
    import logging

    from bot import logs, migrate
    from bot.db import sqlite_path
    from scheduling.worker_processes import WorkerProcesses, sole_process, wanted

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)
    if settings.socket_mode:
        # Before anything is written: a bad app token would only fail later, in a loop.
        from integrations.slack_checks import token_problem

        problem = token_problem(settings.secret("slack_app_token"), settings.slack_api_url)
        if problem:
            _fail(f"cannot connect to Slack in Socket Mode: {problem}")
    engine = _database(settings, create=True)
    path = sqlite_path(engine)
    if path is not None:
        if settings.worker_processes:
            _fail(
                "WORKER_PROCESSES: SQLite runs in one process; leave it empty or 0, or use "
                "PostgreSQL (DATABASE_URL) for worker processes"
            )
        problem = sole_process(path)
        if problem:
            _fail(problem)
    logging.getLogger("supportbot").info(
        "database.opened backend=%s %s",
        engine.dialect.name,
        f"path={path}" if path else f"url={_shown(engine)}",
    )
    if not args.no_migrate:
        from alembic.util import CommandError

        try:
            migrate.upgrade(engine)
        except CommandError as err:
            _fail(
                f"cannot migrate the database: {str(err).splitlines()[0]}; a newer version "
                "may have migrated it (see Upgrading and rolling back in the README)"
            )
    missing = settings.missing_for_run()
    if missing:
        print(
            "supportbot: cannot start yet; set these variables (in the environment or .env):",
            file=sys.stderr,
        )
        for line in missing:
            print(f"  {line}", file=sys.stderr)
        print(SETUP_GUIDE, file=sys.stderr)
        return 2
    from bot.main import build_runtime, serve
    from handlers.server import listening_socket

    host, port = args.host or settings.host, args.port or settings.port
    try:
        sock = listening_socket(host, port)
    except OSError as err:
        _fail(
            f"cannot listen on {host}:{port}: {err.strerror or err}; another process may be "
            "using the port: set PORT or pass --port"
        )
    runtime = build_runtime(settings, scheduler=not args.no_scheduler, engine=engine)
    workers = WorkerProcesses(wanted(settings.worker_processes, engine.dialect.name))
    serve(runtime, sock, workers)
    return 0


def cmd_work(_args: argparse.Namespace) -> int:
    """Process stored events and pending calls, without HTTP (PostgreSQL), until SIGTERM or
    until the `supportbot run` that started it is gone."""
    from bot import logs
    from bot.main import build_runtime
    from scheduling.worker_processes import become_worker, work

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)
    engine = _database(settings)
    if engine.dialect.name != "postgresql":
        _fail("worker processes share the work through PostgreSQL; DATABASE_URL is SQLite")
    stop = become_worker()
    # No Socket Mode link: Slack's requests reach the process that serves.
    quiet = settings.model_copy(update={"slack_app_token": None})
    work(build_runtime(quiet, scheduler=False, engine=engine), stop)
    return 0


def cmd_check(_args: argparse.Namespace) -> int:
    """Validate settings, then try every configured connection."""
    from bot.main import check_connections

    settings = _settings()
    incomplete = settings.incomplete()
    for problem in incomplete:
        print(f"settings: FAILED - {problem}")
    if not incomplete:
        print("settings: ok")
    results = check_connections(settings)
    for name, ok, detail in results:
        print(f"{name}: {'ok' if ok else 'FAILED'} - {detail}")
    return 0 if not incomplete and all(ok for _, ok, _ in results) else 1


def cmd_db(args: argparse.Namespace) -> int:
    """Database migrations and backups."""
    from alembic.util import CommandError

    from bot import migrate

    settings = _settings()
    if args.action == "backup":
        return _backup(settings, args.target)
    engine = _database(settings, create=args.action == "upgrade")
    try:
        if args.action == "upgrade":
            migrate.upgrade(engine)
        elif args.action == "downgrade":
            if not args.target:
                _fail("say which revision: supportbot db downgrade REV (`db current` shows them)")
            migrate.downgrade(engine, args.target)
    except CommandError as err:
        _fail(f"{args.action} failed: {str(err).splitlines()[0]}")
    current, newest = migrate.current(engine), migrate.head(engine)
    print(f"current: {current or 'none'}; newest: {newest}")
    return 0


def _backup(settings: Settings, file: str | None) -> int:
    from pathlib import Path

    from bot.db import backup_sqlite, sqlite_path

    if not file:
        _fail("say where: supportbot db backup FILE")
    engine = _database(settings)
    if engine.dialect.name == "postgresql":
        url = engine.url.set(drivername="postgresql", password=None).render_as_string()
        _fail(
            f"db backup copies SQLite files; on PostgreSQL use pg_dump: pg_dump --format=custom "
            f"--file={file} '{url}' (restore: pg_restore --clean --if-exists --dbname=URL {file})"
        )
    if sqlite_path(engine) is None:
        _fail("an in-memory database cannot be backed up")
    target = Path(file).resolve()
    if target.exists():
        _fail(f"{target} exists; give a new file name")
    if not target.parent.is_dir():
        _fail(f"{target.parent} is not a directory")
    size = backup_sqlite(engine, target)
    print(f"backed up {sqlite_path(engine)} to {target} ({size} bytes)")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """List the outbox backlog and dead letters, or put dead letters back in the queue."""
    from bot import outbox
    from bot.db import make_engine, session_factory, transaction
    from bot.main import utcnow

    factory = session_factory(make_engine(_settings().database_url))
    with transaction(factory) as session:
        if args.action == "retry":
            if not args.all and not args.ids:
                print("say which: supportbot outbox retry ID [ID ...]  or  --all", file=sys.stderr)
                return 2
            if not args.all:
                found = outbox.statuses(session, args.ids)
                wrong = [i for i in args.ids if found.get(i) != "dead"]
                for i in wrong:
                    why = f"it is {found[i]}" if i in found else "there is no such message"
                    print(f"#{i} is not a dead letter ({why})", file=sys.stderr)
                if wrong:
                    print("nothing was queued again", file=sys.stderr)
                    return 1
            n = outbox.retry_dead(session, utcnow(), None if args.all else args.ids)
            print(f"{n} dead letter(s) queued again")
            return 0
        counts = outbox.counts(session)
        print("outbox: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "empty"))
        for title, statuses in (("backlog", ("pending", "sending")), ("dead letters", ("dead",))):
            rows = outbox.listing(session, statuses, limit=args.limit)
            print(f"\n{title} ({len(rows)} shown):")
            for row in rows:
                print(
                    f"  #{row.id} {row.method} {row.channel} key={row.key} "
                    f"attempts={row.attempts} error={row.last_error or '-'}"
                )
    return 0


def cmd_search(_args: argparse.Namespace) -> int:
    """Rebuild the full-text index that finds tickets similar to a new one."""
    from bot import migrate
    from bot.db import session_factory, transaction
    from bot.tickets import similar

    engine = _database(_settings())
    if migrate.current(engine) != migrate.head(engine):
        _fail("the database schema is not current; run `supportbot db upgrade` first")
    with transaction(session_factory(engine)) as session:
        indexed = similar.rebuild(session)
    print(f"search index rebuilt: {indexed} ticket(s) indexed (near-empty ones are left out)")
    return 0


def cmd_demo(_args: argparse.Namespace) -> int:
    """Run the app against the local simulators and show what people would see."""
    from bot.demo.story import run_demo

    return run_demo()


def cmd_rotations(args: argparse.Namespace) -> int:
    """Apply a rotations file (create or update) or export the rotations in that format."""
    from pathlib import Path

    from bot.db import make_engine, session_factory, transaction
    from bot.main import refresh_directory, utcnow
    from bot.rotations import files

    settings = _settings()
    factory = session_factory(make_engine(settings.database_url))
    if args.action == "export":
        with transaction(factory) as session:
            text = files.export(session)
        if args.file:
            Path(args.file).write_text(text)
        else:
            print(text, end="")
        return 0
    if not args.file:
        print("say which file: supportbot rotations apply FILE.yml", file=sys.stderr)
        return 2
    text = Path(args.file).read_text()
    if settings.slack_bot_token is not None and not args.no_refresh:
        found = refresh_directory(settings, factory)
        print(f"directory: {found['groups']} user groups, {found['users']} users from Slack")
    else:
        print("directory: using the cached users and user groups", file=sys.stderr)
    try:
        with transaction(factory) as session:
            outcomes = files.apply(
                session, text, actor="cli", now=utcnow(), default_leads=settings.support_leads
            )
    except files.FileInvalid as err:
        print(f"supportbot: {args.file} was not applied:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        detail = f" ({', '.join(outcome.changed)})" if outcome.changed else ""
        print(f"{outcome.name}: {outcome.action}{detail}")
    return 0


def version() -> str:
    """The installed package's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("supportbot")
    except PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="supportbot", description=__doc__)
    top.add_argument("--version", action="version", version=f"supportbot {version()}")
    subs = top.add_subparsers(dest="command", required=True)
    run = subs.add_parser("run", help="migrate and serve the bot")
    run.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    run.add_argument(
        "--no-scheduler", action="store_true", help="serve requests only (extra web replicas)"
    )
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.set_defaults(func=cmd_run)
    subs.add_parser(
        "work",
        help="process stored events without serving (started by `run` on PostgreSQL)",
    ).set_defaults(func=cmd_work)
    subs.add_parser("check", help="validate settings and connections").set_defaults(func=cmd_check)
    db = subs.add_parser(
        "db",
        help="database migrations and backups",
        description="upgrade: apply migrations; downgrade REV: revert to revision REV; "
        "current: show the revision; backup FILE: copy a live SQLite database",
    )
    db.add_argument("action", choices=["upgrade", "downgrade", "current", "backup"])
    db.add_argument("target", nargs="?", metavar="REV|FILE", help="revision or backup file")
    db.set_defaults(func=cmd_db)
    box = subs.add_parser("outbox", help="list or retry queued Slack messages")
    box.add_argument("action", nargs="?", choices=["list", "retry"], default="list")
    box.add_argument("ids", nargs="*", type=int)
    box.add_argument("--all", action="store_true", help="retry every dead letter")
    box.add_argument("--limit", type=int, default=50)
    box.set_defaults(func=cmd_outbox)
    subs.add_parser("demo", help="run against local simulators").set_defaults(func=cmd_demo)
    search = subs.add_parser("search", help="rebuild the index that finds similar tickets")
    search.add_argument("action", choices=["rebuild"])
    search.set_defaults(func=cmd_search)
    rot = subs.add_parser("rotations", help="apply or export rotations as YAML")
    rot.add_argument("action", choices=["apply", "export"])
    rot.add_argument("file", nargs="?", help="the YAML file (export prints when omitted)")
    rot.add_argument(
        "--no-refresh", action="store_true", help="use the cached directory, do not call Slack"
    )
    rot.set_defaults(func=cmd_rotations)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `supportbot` command."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
