"""`supportbot check`: try the database and each configured service, and say what works."""

from __future__ import annotations

from bot.settings import Settings


def run_checks(settings: Settings) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for the database, Slack (scopes, channels, leads), and Jira and
    Zendesk when configured."""
    from bot import migrate
    from bot.db import make_engine, reading, session_factory, sqlite_path

    results: list[tuple[str, bool, str]] = []
    routes: list[tuple[str, str]] = []
    try:
        engine = make_engine(settings.database_url)
        path = sqlite_path(engine)
        if path is not None and not path.is_file():
            raise FileNotFoundError(path)
        current, newest = migrate.current(engine), migrate.head(engine)
        detail = f"revision {current or 'none'}" + (
            "" if current == newest else f" (run `supportbot db upgrade` to reach {newest})"
        )
        results.append(("database", current == newest, detail))
        if current == newest:
            from bot.tickets import routing

            with reading(session_factory(engine)) as session:
                routes = [
                    (rule.channel_id, f"routing rule {rule.id}") for rule in routing.rules(session)
                ]
    except FileNotFoundError as exc:
        results.append(("database", False, f"no database at {exc}; run `supportbot db upgrade`"))
    except Exception as exc:  # noqa: BLE001 - reported to the operator
        results.append(("database", False, f"cannot connect: {type(exc).__name__}"))
    results.extend(_slack(settings, routes))
    if settings.jira_configured:
        results.append(_jira(settings))
    if settings.zendesk_configured:
        results.append(_zendesk(settings))
    return results


def _slack(settings: Settings, routes: list[tuple[str, str]]) -> list[tuple[str, bool, str]]:
    if settings.slack_bot_token is None:
        return [("slack", False, "SLACK_BOT_TOKEN is not set")]
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from integrations import slack_checks

    client = WebClient(
        token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url, timeout=10
    )
    try:
        who = client.auth_test()
    except SlackApiError as err:
        return [("slack", False, f"auth.test said {err.response.get('error')}")]
    except OSError as err:
        return [("slack", False, f"cannot reach {settings.slack_api_url}: {type(err).__name__}")]
    results = [("slack", True, f"connected as {who.get('user')} in team {who.get('team')}")]
    if settings.socket_mode:
        results.append(
            slack_checks.socket_mode_check(
                settings.secret("slack_app_token"), settings.slack_api_url
            )
        )
    granted = slack_checks.granted_scopes(who.headers)
    results.append(slack_checks.scope_check(granted, slack_checks.manifest_scopes()))
    channels = [
        *([(settings.support_channel, "SUPPORT_CHANNEL")] if settings.support_channel else []),
        *([(settings.digest_channel, "DIGEST_CHANNEL")] if settings.digest_channel else []),
        *([(settings.leads_channel, "LEADS_CHANNEL")] if settings.leads_channel else []),
        *routes,
    ]
    results.extend(slack_checks.channel_checks(client, channels))
    for setting, ids in (
        ("SUPPORT_LEADS", settings.support_leads),
        ("PRODUCT_OWNERS", settings.product_owners),
    ):
        if ids:
            results.append(slack_checks.people_check(client, setting, ids))
    return results


def _jira(settings: Settings) -> tuple[str, bool, str]:
    import requests

    try:
        response = requests.get(
            f"{settings.jira_url}/rest/api/2/myself",
            auth=(settings.jira_email or "", settings.secret("jira_api_token")),
            timeout=10,
        )
    except requests.RequestException as err:
        return ("jira", False, f"cannot reach {settings.jira_url}: {type(err).__name__}")
    if response.status_code != 200:
        return ("jira", False, f"HTTP {response.status_code} (check JIRA_EMAIL and JIRA_API_TOKEN)")
    return ("jira", True, f"authenticated as {response.json().get('displayName', '?')}")


def _zendesk(settings: Settings) -> tuple[str, bool, str]:
    import requests

    try:
        response = requests.get(
            f"{settings.zendesk_url}/api/v2/users/me.json",
            auth=(f"{settings.zendesk_email}/token", settings.secret("zendesk_api_token")),
            timeout=10,
        )
    except requests.RequestException as err:
        return ("zendesk", False, f"cannot reach {settings.zendesk_url}: {type(err).__name__}")
    if response.status_code != 200:
        return (
            "zendesk",
            False,
            f"HTTP {response.status_code} (check ZENDESK_EMAIL and ZENDESK_API_TOKEN)",
        )
    return ("zendesk", True, f"authenticated as {response.json()['user'].get('name', '?')}")
