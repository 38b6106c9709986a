"""Shared helpers for the benchmark scripts: a migrated database, figures, targets."""

from __future__ import annotations

import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot import migrate
from bot.db import make_engine, normalize_url


def fresh_database(url: str | None = None) -> tuple[str, Engine]:
    """A migrated database: a temporary SQLite file unless a URL is given."""
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="supportbot-bench-")) / "bench.db"
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    return url, engine


@contextmanager
def scratch(url: str | None) -> Iterator[str | None]:
    """A throwaway PostgreSQL database on the given server (SQLite: a temporary file)."""
    if url is None or not url.startswith(("postgres", "postgresql")):
        yield url
        return
    server = make_url(normalize_url(url))
    name = f"supportbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Report:
    """Figures printed as they are measured, and targets checked at the end."""

    title: str
    misses: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        print(f"== {self.title}")

    def figure(self, name: str, value: float | int | str, unit: str = "") -> None:
        """Print one measured figure."""
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {name}: {shown}{(' ' + unit) if unit else ''}")

    def target(
        self, name: str, value: float, limit: float, *, at_most: bool = True, unit: str = ""
    ) -> None:
        """Print a figure against its target and remember a miss."""
        ok = value <= limit if at_most else value >= limit
        relation = "<=" if at_most else ">="
        print(
            f"  {name}: {value:.3f}{(' ' + unit) if unit else ''} "
            f"(target {relation} {limit}{(' ' + unit) if unit else ''}) {'ok' if ok else 'MISSED'}"
        )
        if not ok:
            self.misses.append(name)

    def finish(self) -> None:
        """Exit non-zero when any target was missed."""
        if self.misses:
            print(f"  RESULT: missed {', '.join(self.misses)}")
            sys.exit(1)
        print("  RESULT: all targets met")


def mean(values: list[float]) -> float:
    """The arithmetic mean."""
    return statistics.fmean(values) if values else 0.0
