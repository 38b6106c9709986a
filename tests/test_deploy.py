"""The container image, the compose file and the package as installed: everything they set is a
real setting, they run real commands, and a non-editable install can migrate.

No container runtime here: the files are parsed and checked against the code."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import cmd_run, parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {name.upper() for name in Settings.model_fields}


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the final stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    steps = [tuple(line.split(None, 1)) for line in lines if not line.startswith("#")]
    last_from = max(i for i, step in enumerate(steps) if step[0] == "FROM")
    return [(step[0].upper(), step[1] if len(step) > 1 else "") for step in steps[last_from:]]


def _env_names(argument: str) -> dict[str, str]:
    """Names set by one ENV instruction (`ENV A=1 B=2` or the old `ENV A 1`)."""
    if "=" not in argument.split(None, 1)[0]:
        name, value = argument.split(None, 1)
        return {name: value}
    return dict(item.split("=", 1) for item in shlex.split(argument))


def _command(argument: str) -> list[str]:
    return json.loads(argument) if argument.startswith("[") else shlex.split(argument)


def _is_supportbot_command(argv: list[str]) -> bool:
    if argv[:1] != ["supportbot"]:
        return False
    try:
        parser().parse_args(argv[1:])
    except SystemExit:
        return False
    return True


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _bots(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if s.get("build") in (".", "./")}


def test_image_is_slim_unprivileged_and_keeps_sqlite_on_the_data_volume() -> None:
    steps = _dockerfile()
    assert re.fullmatch(r"python:3\.\d+-slim", steps[0][1])
    [user] = [arg for step, arg in steps if step == "USER"]
    assert user not in ("root", "0")
    assert any(step == "VOLUME" and "/data" in arg for step, arg in steps)
    env = {k: v for step, arg in steps if step == "ENV" for k, v in _env_names(arg).items()}
    assert env["DATABASE_URL"] == "sqlite:////data/supportbot.db"
    assert Settings(_env_file=None, database_url=env["DATABASE_URL"]).database_url.startswith(
        "sqlite:////data/"
    )


def test_image_sets_only_real_settings_and_runs_a_real_command() -> None:
    steps = _dockerfile()
    env = {k for step, arg in steps if step == "ENV" for k in _env_names(arg)}
    assert env and env <= SETTINGS, env - SETTINGS
    [cmd] = [_command(arg) for step, arg in steps if step in ("CMD", "ENTRYPOINT")]
    assert _is_supportbot_command(cmd)
    assert parser().parse_args(cmd[1:]).func is cmd_run
    [health] = [arg for step, arg in steps if step == "HEALTHCHECK"]
    assert "/readyz" in health


def test_compose_runs_two_replicas_on_postgresql_behind_one_port(compose: dict[str, Any]) -> None:
    bots = _bots(compose)
    assert len(bots) == 1
    [bot] = bots.values()
    assert bot["deploy"]["replicas"] == 2
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert any("postgres" in str(s.get("image", "")) for s in compose["services"].values())
    published = [p for s in compose["services"].values() for p in s.get("ports", [])]
    assert len(published) == 1 and "ports" not in bot
    proxy = next(s for s in compose["services"].values() if s.get("ports"))
    [mount] = [v for v in proxy["volumes"] if "nginx" in v]
    config = (ROOT / mount.split(":")[0]).read_text()
    port = bot["environment"].get("PORT", str(Settings.model_fields["port"].default))
    assert f"server bot:{port};" in config
    assert f"127.0.0.1:{port}/readyz" in " ".join(bot["healthcheck"]["test"])


def test_compose_sets_only_real_settings(compose: dict[str, Any]) -> None:
    for name, service in _bots(compose).items():
        environment = service.get("environment") or {}
        names = (
            {item.split("=", 1)[0] for item in environment}
            if isinstance(environment, list)
            else set(environment)
        )
        assert names <= SETTINGS, f"{name}: {names - SETTINGS}"
        url = re.sub(r"\$\{[^}]*\}", "secret", str(environment.get("DATABASE_URL", "")))
        assert Settings(_env_file=None, database_url=url).database_url.startswith("postgresql://")
        if "command" in service:
            assert _is_supportbot_command(_command(str(service["command"])))
        assert service.get("env_file") in (".env", [".env"])


def test_env_example_and_readme_name_every_setting() -> None:
    example = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if re.match(r"^#? ?[A-Z_]+=", line)
    }
    assert example == SETTINGS, (SETTINGS - example, example - SETTINGS)
    readme = (ROOT / "README.md").read_text()
    assert not [name for name in SETTINGS if f"`{name}`" not in readme]


def test_a_non_editable_build_ships_the_migrations_and_can_migrate(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("bot", "handlers", "integrations", "scheduling"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    built = tmp_path / "lib"
    # What a wheel would hold: setuptools' build_py with the project's package discovery.
    subprocess.run(
        [sys.executable, "-W", "ignore", "-c", "from setuptools import setup; setup()"]
        + ["-q", "build_py", "-d", str(built)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    migrations = built / "bot" / "migrations"
    shipped = sorted(p.name for p in (migrations / "versions").glob("*.py"))
    assert shipped == sorted(p.name for p in (ROOT / "bot/migrations/versions").glob("*.py"))
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import bot; assert bot.__file__.startswith(sys.argv[1]), bot.__file__;"
        "from bot import migrate; from bot.db import make_engine;"
        "e = make_engine('sqlite:///' + sys.argv[2]); migrate.upgrade(e);"
        "print(migrate.current(e))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(built), str(tmp_path / "x.db")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == max(p.split("_")[0] for p in shipped)
