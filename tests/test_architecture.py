"""The arrows point inward: the core imports no I/O library and no outer package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IO_LIBRARIES = {
    "slack_bolt",
    "slack_sdk",
    "fastapi",
    "starlette",
    "jira",
    "requests",
    "httpx",
    "uvicorn",
    "apscheduler",
    "urllib3",
    "psycopg",
}
COMPOSITION_ROOTS = {"bot/main.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_no_io_library_or_outer_package(path: Path) -> None:
    if str(path.relative_to(ROOT)) in COMPOSITION_ROOTS:
        return
    bad = _imports(path) & (IO_LIBRARIES | {"handlers", "integrations", "scheduling"})
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules("handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_do_not_import_scheduling(path: Path) -> None:
    assert "scheduling" not in _imports(path)


@pytest.mark.parametrize("path", _modules("scheduling"), ids=lambda p: str(p.relative_to(ROOT)))
def test_scheduling_does_not_import_handlers(path: Path) -> None:
    assert "handlers" not in _imports(path)


@pytest.mark.parametrize("path", _modules("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_reads_no_clock_or_environment(path: Path) -> None:
    if str(path.relative_to(ROOT)) in COMPOSITION_ROOTS or "migrations" in path.parts:
        return
    source = path.read_text()
    for forbidden in ("datetime.now(", "datetime.utcnow(", "os.environ", ".commit()"):
        assert forbidden not in source, f"{path.relative_to(ROOT)} uses {forbidden}"


@pytest.mark.parametrize(
    "path",
    [
        p
        for pkg in ("bot", "handlers", "integrations", "scheduling")
        for p in _modules(pkg)
        if "migrations/versions" not in str(p)
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= 450, f"{path.relative_to(ROOT)} has {lines} lines; split it by what it owns"
