"""app_manifest.yml is a valid Slack manifest and matches what the code listens to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.deps import Deps
from handlers.slack.app import build_bolt_app
from integrations.slack_delivery import make_web_client

MANIFEST = Path(__file__).resolve().parent.parent / "app_manifest.yml"

# Which bot scope each subscribed event needs (https://docs.slack.dev/reference/events).
EVENT_SCOPES = {
    "app_home_opened": set(),
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
    "app_mention": {"app_mentions:read"},
    "member_joined_channel": {"channels:read"},
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


@pytest.fixture(scope="module")
def listening() -> Any:
    settings = Settings(
        _env_file=None, slack_signing_secret="s" * 32, database_url="sqlite:///:memory:"
    )
    deps = Deps(settings=settings, factory=sessionmaker[Session]())
    build_bolt_app(deps, make_web_client("xoxb-test", "http://127.0.0.1:9/api/"))
    return deps.listening


def test_manifest_has_the_required_sections_within_slack_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", features["bot_user"]["display_name"])
    for command in features["slash_commands"]:
        assert command["command"].startswith("/") and len(command["command"]) <= 32
        assert len(command["description"]) <= 2000
        assert len(command.get("usage_hint", "")) <= 1000
    for shortcut in features.get("shortcuts", []):
        assert shortcut["type"] in {"global", "message"}
        assert len(shortcut["callback_id"]) <= 255 and len(shortcut["description"]) <= 150
    assert len(features.get("shortcuts", [])) <= 10
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert isinstance(settings["socket_mode_enabled"], bool)
    assert len(settings["event_subscriptions"]["bot_events"]) <= 100


def test_manifest_commands_match_the_code(manifest: dict[str, Any], listening: Any) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == listening.commands


def test_manifest_events_match_the_code(manifest: dict[str, Any], listening: Any) -> None:
    # The manifest names message events per channel type (message.channels, message.im...);
    # the code listens to `message` once.
    declared = {e.split(".")[0] for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    assert declared == listening.events


def test_manifest_shortcuts_match_the_code(manifest: dict[str, Any], listening: Any) -> None:
    declared = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert declared == listening.shortcuts


def test_manifest_grants_the_scopes_its_events_and_calls_need(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert EVENT_SCOPES[event] <= scopes, f"{event} needs {EVENT_SCOPES[event] - scopes}"
    # chat.postMessage / chat.update, DMs, users.info, usergroups.users.list, and reading back
    # posted messages' metadata (conversations.history / replies) for outbox recovery.
    assert {
        "chat:write",
        "im:write",
        "users:read",
        "usergroups:read",
        "channels:history",
        "im:history",
        "commands",
    } <= scopes
