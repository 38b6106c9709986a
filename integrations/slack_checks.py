"""`supportbot check`, the workspace part: scopes granted, channel membership, leads.

Each check returns (name, ok, detail) lines. Scopes come from the `x-oauth-scopes` header Slack
sends with every Web API answer (https://docs.slack.dev/authentication/tokens); membership
from conversations.info's `is_member`
(https://docs.slack.dev/reference/methods/conversations.info).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

Result = tuple[str, bool, str]

MANIFEST = "app_manifest.yml"


# Slack's answers to apps.connections.open that no retry will fix, and what to do about each.
TOKEN_ERRORS = {
    "invalid_auth": "SLACK_APP_TOKEN is not a valid app-level token",
    "not_authed": "SLACK_APP_TOKEN is empty",
    "token_revoked": "SLACK_APP_TOKEN has been revoked",
    "account_inactive": "the app or workspace of SLACK_APP_TOKEN is no longer active",
    "not_allowed_token_type": "SLACK_APP_TOKEN must be an app-level token (xapp-…), not a bot "
    "or user token",
    "missing_scope": "SLACK_APP_TOKEN lacks the connections:write scope",
}
FIX = (
    "create an app-level token with the connections:write scope under Basic Information → "
    "App-Level Tokens and set SLACK_APP_TOKEN"
)


def token_problem(app_token: str, api_url: str, timeout: int = 10) -> str | None:
    """Why `app_token` cannot open a Socket Mode link (one line), or None when it can
    (https://api.slack.com/methods/apps.connections.open; the URL it answers is left unused)."""
    # The answer is reported as one line by the caller: slack_sdk's own error log would repeat
    # it with a traceback.
    quiet = logging.getLogger("supportbot.socket_mode.open")
    quiet.setLevel(logging.CRITICAL)
    client = WebClient(base_url=api_url, timeout=timeout, logger=quiet)
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as err:
        code = str(err.response.get("error") or err.response.status_code)
        reason = TOKEN_ERRORS.get(code, f"Slack refused to open Socket Mode ({code})")
        return f"{reason}: {FIX}" if code in TOKEN_ERRORS else reason
    except (SlackClientError, OSError) as err:
        return f"cannot reach Slack at {api_url} to open Socket Mode ({type(err).__name__})"
    return None


def socket_mode_check(app_token: str, api_url: str) -> Result:
    """Can the app-level token open a Socket Mode link?"""
    problem = token_problem(app_token, api_url)
    if problem:
        return ("slack socket mode", False, problem)
    return ("slack socket mode", True, "the app-level token opens a link (apps.connections.open)")


def manifest_scopes(places: Iterable[Path] | None = None) -> tuple[Path, set[str]] | None:
    """The bot scopes app_manifest.yml asks for, from the source tree or the working
    directory (the container image keeps it in its working directory)."""
    for folder in places or (Path(__file__).resolve().parent.parent, Path.cwd()):
        path = folder / MANIFEST
        if path.is_file():
            manifest = yaml.safe_load(path.read_text()) or {}
            scopes = manifest.get("oauth_config", {}).get("scopes", {}).get("bot", [])
            return path, {str(s) for s in scopes}
    return None


def granted_scopes(headers: Mapping[str, object]) -> set[str] | None:
    """The scopes in an answer's `x-oauth-scopes` header (None when it has none)."""
    for key, value in headers.items():
        if key.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return {s.strip() for s in str(text).split(",") if s.strip()}
    return None


def scope_check(granted: set[str] | None, manifest: tuple[Path, set[str]] | None) -> Result:
    """Does the token hold every scope the manifest asks for?"""
    if manifest is None:
        return ("slack scopes", False, f"{MANIFEST} not found; cannot compare the scopes")
    if granted is None:
        return ("slack scopes", False, "Slack sent no x-oauth-scopes header with auth.test")
    missing = sorted(manifest[1] - granted)
    if missing:
        return (
            "slack scopes",
            False,
            f"the token lacks {', '.join(missing)} that {MANIFEST} asks for; update the app "
            "from the manifest and reinstall it, then copy the new SLACK_BOT_TOKEN",
        )
    return ("slack scopes", True, f"all {len(manifest[1])} scopes of {MANIFEST} granted")


def channel_checks(client: WebClient, channels: Iterable[tuple[str, str]]) -> list[Result]:
    """For each (channel id, why it is used): is the bot a member?"""
    results: list[Result] = []
    seen: set[str] = set()
    for channel, why in channels:
        if channel in seen:
            continue
        seen.add(channel)
        name = f"channel {channel} ({why})"
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as err:
            error = err.response.get("error")
            detail = (
                "not found: a wrong id, or a private channel the bot is not in"
                if error == "channel_not_found"
                else f"conversations.info said {error}"
            )
            results.append((name, False, detail))
            continue
        except OSError as err:
            results.append((name, False, f"cannot reach Slack: {type(err).__name__}"))
            continue
        label = f"#{info.get('name')}" if info.get("name") else channel
        if info.get("is_archived"):
            results.append((name, False, f"{label} is archived"))
        elif not info.get("is_member"):
            results.append(
                (name, False, f"the bot is not a member of {label}; /invite @supportbot there")
            )
        else:
            results.append((name, True, f"member of {label}"))
    return results


def people_check(client: WebClient, setting: str, ids: list[str]) -> Result:
    """Do the users and user groups named in a setting exist (and are they active)?"""
    problems = []
    for ident in ids:
        try:
            if ident.startswith("S"):
                client.usergroups_users_list(usergroup=ident)
            else:
                user = client.users_info(user=ident)["user"]
                if user.get("deleted"):
                    problems.append(f"{ident} is deactivated")
        except SlackApiError as err:
            error = err.response.get("error")
            what = "user group" if ident.startswith("S") else "user"
            if error in ("user_not_found", "no_such_subteam", "subteam_not_found"):
                problems.append(f"{ident} is not a {what} in this workspace")
            else:
                problems.append(f"{ident}: Slack said {error}")
        except OSError as err:
            return (setting, False, f"cannot reach Slack: {type(err).__name__}")
    if problems:
        return (setting, False, "; ".join(problems))
    return (setting, True, f"{len(ids)} resolved")
