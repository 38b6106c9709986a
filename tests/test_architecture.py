"""The house rules: arrows point inward, domains depend one way, the core does no I/O and reads
no clock, and modules stay small. Each test reports every offender at once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "integrations", "scheduling")
# Composition roots wire everything together and may import any package.
ROOTS = ("bot/main.py", "bot/cli.py", "bot/demo/")
# Domains from the bottom up: each may import the kernel and the domains before it.
DOMAINS = ("rotations", "tickets", "sla", "bugs", "insights")
# Modules above every domain (besides the roots): the event table and the schema's registry.
ABOVE_DOMAINS = ("bot/events.py", "bot/migrate.py", "bot/migrations/")
IO_MODULES = {
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
    "socket",
    "ssl",
    "subprocess",
    "http.client",
    "http.server",
    "urllib.request",
    "websocket",
    "websockets",
}
FORBIDDEN_IN_CORE = (
    "datetime.now(",
    "datetime.utcnow(",
    "date.today(",
    "time.time(",
    "func.now(",
    "os.environ",
    "os.getenv(",
    ".commit()",
)
MAX_LINES = 400
MAX_BOT_MODULES = 15


def _modules(*packages: str) -> list[Path]:
    return sorted(
        p
        for package in packages
        for p in (ROOT / package).rglob("*.py")
        if "migrations/versions" not in p.as_posix()
    )


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is(path: Path, prefixes: tuple[str, ...]) -> bool:
    rel = _rel(path)
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in prefixes)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute module names imported (with `from a import b`, both `a` and `a.b`)."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            found.extend((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)
    return found


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "bot" and parts[1] in DOMAINS else None


def _path_domain(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    return parts[1] if len(parts) > 2 and parts[0] == "bot" and parts[1] in DOMAINS else None


def test_packages_point_inward() -> None:
    """bot imports no outer package; handlers and scheduling never import each other;
    integrations imports neither; simulators import only each other and the wire formats."""
    rules = {
        "bot": {"handlers", "integrations", "scheduling"},
        "handlers": {"scheduling"},
        "scheduling": {"handlers"},
        "integrations": {"handlers", "scheduling"},
    }
    offenders = []
    for path in _modules(*PACKAGES):
        if _is(path, ROOTS):
            continue
        top = _rel(path).split("/")[0]
        simulator = _rel(path).startswith("integrations/simulators/")
        for module, line in _imports(path):
            head = module.split(".")[0]
            if head in rules[top]:
                offenders.append(f"{_rel(path)}:{line} imports {module}")
            if module.startswith(("bot.main", "bot.demo", "bot.cli")):
                offenders.append(f"{_rel(path)}:{line} imports the composition root {module}")
            if (
                simulator
                and head in PACKAGES
                and not module.startswith(("integrations.simulators", "integrations.signatures"))
            ):
                offenders.append(f"{_rel(path)}:{line}: a simulator imports {module}")
    assert not offenders, "\n".join(offenders)


def test_domains_depend_one_way() -> None:
    """The kernel imports no domain; a domain imports only the domains below it."""
    offenders = []
    for path in _modules("bot"):
        if _is(path, ROOTS + ABOVE_DOMAINS):
            continue
        mine = _path_domain(path)
        allowed = set(DOMAINS[: DOMAINS.index(mine) + 1]) if mine else set()
        for module, line in _imports(path):
            theirs = _domain(module)
            if theirs is not None and theirs not in allowed:
                where = f"the {mine} domain" if mine else "the kernel"
                offenders.append(f"{_rel(path)}:{line}: {where} imports {module}")
    assert not offenders, "\n".join(sorted(set(offenders)))


def test_core_does_no_io() -> None:
    """Nothing in bot/ (but the composition roots) imports a network, process or vendor
    library: the core takes a session and returns rows."""
    offenders = []
    for path in _modules("bot"):
        if _is(path, ROOTS + ("bot/migrate.py", "bot/migrations/")):
            continue
        for module, line in _imports(path):
            if any(module == m or module.startswith(m + ".") for m in IO_MODULES):
                offenders.append(f"{_rel(path)}:{line} imports {module}")
    assert not offenders, "\n".join(sorted(set(offenders)))


def test_core_reads_no_clock_environment_or_commits() -> None:
    """Rules take `now` and a session: no clock reads, no environment, no commits."""
    offenders = []
    for path in _modules("bot"):
        if _is(path, ROOTS + ("bot/migrations/",)):
            continue
        for number, text in enumerate(path.read_text().splitlines(), 1):
            code = text.split("#", 1)[0]
            offenders.extend(
                f"{_rel(path)}:{number} uses {word}" for word in FORBIDDEN_IN_CORE if word in code
            )
    assert not offenders, "\n".join(offenders)


def test_imports_are_absolute() -> None:
    offenders = [
        f"{_rel(path)}:{node.lineno}"
        for path in _modules(*PACKAGES)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level
    ]
    assert not offenders, "relative imports:\n" + "\n".join(offenders)


def test_modules_stay_small() -> None:
    offenders = [
        f"{_rel(path)} has {n} lines"
        for path in _modules(*PACKAGES)
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]
    top = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert not offenders, "split these by what they own:\n" + "\n".join(offenders)
    assert len(top) <= MAX_BOT_MODULES, f"bot/ has {len(top)} top-level modules: {top}"


def test_comments_cite_nothing_outside_the_repository() -> None:
    """Comments and docstrings point at public documentation or this repository's files."""
    outside = re.compile(r"\.\./shared/|DESIGN\.md|PLATFORM\.md")
    offenders = [
        f"{_rel(path)}:{n}"
        for path in _modules(*PACKAGES)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if outside.search(line)
    ]
    assert not offenders, "\n".join(offenders)
