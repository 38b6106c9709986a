"""`supportbot check` finds what would stop the bot: half-set services, missing webhook
secrets, channels the bot is not in, scopes not granted, leads that do not exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli_helpers import run_cli
from harness import BOT_TOKEN

from bot import migrate
from bot.db import make_engine, transaction
from bot.tickets import routing
from integrations.simulators.slack.server import DEFAULT_SCOPES, SlackSimulator
from integrations.slack_checks import manifest_scopes


def test_check_reports_each_problem_on_its_own_line(desk: Any, tmp_path: Path) -> None:
    desk.slack.add_channel("C0BILLING", "billing", bot_member=False)
    with transaction(desk.runtime.factory) as session:
        for channel in ("C0BILLING", "C0GONE", "C0SUPPORT"):
            routing.add_rule(
                session,
                field="tag",
                value=channel,
                channel=channel,
                user_id="U0LEAD",
                now=desk.clock.now(),
            )
    settings = desk.runtime.settings
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": desk.slack.api_url,
        "DATABASE_URL": settings.database_url,
        "SUPPORT_CHANNEL": "C0SUPPORT",
        "SUPPORT_LEADS": "U0LEAD,U0GONE",
        "PRODUCT_OWNERS": "S0NOPE",
        "JIRA_URL": "https://acme.atlassian.net",
        "ZENDESK_URL": desk.zendesk.url,
        "ZENDESK_EMAIL": desk.zendesk.email,
        "ZENDESK_API_TOKEN": desk.zendesk.api_token,
    }
    result = run_cli(["check"], tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "settings: FAILED - JIRA_URL set but not JIRA_EMAIL, JIRA_API_TOKEN: Jira stays off "
        "until all three are set"
    )
    assert lines[1].startswith("settings: FAILED - ZENDESK_WEBHOOK_SECRET not set:")
    assert lines[2].startswith("database: ok")
    assert lines[3].startswith("slack: ok - connected as supportbot")
    wanted = len(manifest_scopes()[1])
    assert lines[4] == f"slack scopes: ok - all {wanted} scopes of app_manifest.yml granted"
    assert lines[5] == "channel C0SUPPORT (SUPPORT_CHANNEL): ok - member of #support"
    assert lines[6] == (
        "channel C0BILLING (routing rule 1): FAILED - the bot is not a member of #billing; "
        "/invite @supportbot there"
    )
    assert lines[7] == (
        "channel C0GONE (routing rule 2): FAILED - not found: a wrong id, or a private channel "
        "the bot is not in"
    )
    assert lines[8] == "SUPPORT_LEADS: FAILED - U0GONE is not a user in this workspace"
    assert lines[9] == "PRODUCT_OWNERS: FAILED - S0NOPE is not a user group in this workspace"
    assert lines[10].startswith("zendesk: ok - authenticated as")
    assert len(lines) == 11  # C0SUPPORT, also a routed channel, is checked once
    assert desk.zendesk.api_token not in result.stdout and BOT_TOKEN not in result.stdout


def test_check_names_the_scopes_the_token_lacks(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    granted = [s for s in DEFAULT_SCOPES if s not in ("groups:history", "usergroups:read")]
    with SlackSimulator(token=BOT_TOKEN, scopes=granted) as slack:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{database}",
        }
        result = run_cli(["check"], tmp_path, env)
    assert result.returncode == 1
    assert (
        "slack scopes: FAILED - the token lacks groups:history, usergroups:read that "
        "app_manifest.yml asks for; update the app from the manifest and reinstall it, then "
        "copy the new SLACK_BOT_TOKEN"
    ) in result.stdout.splitlines()


def test_check_does_not_create_a_missing_sqlite_database(tmp_path: Path) -> None:
    result = run_cli(["check"], tmp_path, {"DATABASE_URL": "sqlite:///nothing.db"})
    assert result.returncode == 1
    assert f"database: FAILED - no database at {tmp_path / 'nothing.db'}" in result.stdout
    assert not (tmp_path / "nothing.db").exists()
