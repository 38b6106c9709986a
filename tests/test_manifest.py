"""app_manifest.yml is a valid Slack manifest and matches what the code listens to."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.web.base_client import BaseClient
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.deps import Deps
from handlers.slack.app import build_bolt_app
from integrations.slack_delivery import make_web_client

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "app_manifest.yml"

# Which bot scope each subscribed event needs (https://docs.slack.dev/reference/events).
EVENT_SCOPES = {
    "app_home_opened": set(),
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
    "app_mention": {"app_mentions:read"},
    "member_joined_channel": {"channels:read"},
}


# The bot scopes each Web API method needs for the conversations the bot uses (public and
# private channels, and DMs with people), from "Required scopes" on each method's page,
# https://docs.slack.dev/reference/methods/<method>. Methods the code does not call yet are
# left out on purpose: calling a new one fails the test below until its scopes are written here.
METHOD_SCOPES: dict[str, set[str]] = {
    # Called with the app-level token (connections:write), not a bot scope.
    "apps.connections.open": set(),
    "auth.test": set(),
    "chat.getPermalink": set(),
    "chat.postEphemeral": {"chat:write"},
    # chat:write.public: posting to a public channel the bot was not invited to
    # (SUPPORT_CHANNEL, DIGEST_CHANNEL, a rotation's channel set by config).
    "chat.postMessage": {"chat:write", "chat:write.public"},
    "chat.update": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.join": {"channels:join"},
    "conversations.open": {"im:write"},
    # https://docs.slack.dev/reference/methods/conversations.setTopic
    "conversations.setTopic": {"channels:write.topic", "groups:write.topic"},
    # https://docs.slack.dev/reference/methods/files.getUploadURLExternal (and …Complete…)
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "usergroups.enable": {"usergroups:write"},
    "usergroups.disable": {"usergroups:write"},
    "usergroups.users.update": {"usergroups:write"},
    "usergroups.list": {"usergroups:read"},
    "usergroups.users.list": {"usergroups:read"},
    "users.info": {"users:read"},
    "users.list": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
}
# Slash commands and message shortcuts both need `commands`.
FEATURE_SCOPES = {"commands"}


def web_api_methods_called() -> dict[str, set[str]]:
    """Every WebClient method our code calls (`client.users_lookupByEmail(…)` is
    `users.lookupByEmail`), with the modules that call it; the simulators are not our code."""
    methods = {
        name
        for name in vars(WebClient)
        if not name.startswith("_") and name not in vars(BaseClient)
    }
    found: dict[str, set[str]] = {}
    for package in ("bot", "handlers", "integrations", "scheduling"):
        for path in (ROOT / package).rglob("*.py"):
            if "simulators" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                # A call, or a method handed on to be called (`retry(client.usergroups_enable)`).
                if isinstance(node, ast.Attribute) and node.attr in methods:
                    method = node.attr.replace("_", ".")
                    found.setdefault(method, set()).add(path.relative_to(ROOT).as_posix())
    return found


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


def test_manifest_scopes_are_exactly_those_the_code_uses(manifest: dict[str, Any]) -> None:
    called = web_api_methods_called()
    unknown = sorted(set(called) - set(METHOD_SCOPES))
    assert not unknown, f"write the scopes of {unknown} into METHOD_SCOPES"
    needed = set(FEATURE_SCOPES)
    for method in called:
        needed |= METHOD_SCOPES[method]
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed |= EVENT_SCOPES[event]
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert sorted(needed - granted) == [], "the code needs scopes the manifest lacks"
    assert sorted(granted - needed) == [], "the manifest grants scopes no code uses"


def test_the_scan_finds_the_calls_behind_each_feature() -> None:
    called = web_api_methods_called()
    assert called["users.lookupByEmail"] == {"integrations/slack_directory.py"}
    assert called["conversations.join"] == {"integrations/slack_channels.py"}
    assert "integrations/slack_delivery.py" in called["chat.postMessage"]
