"""Emerging patterns in Slack: `/support patterns` and the File one bug for all button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.bugs import linking
from bot.db import reading
from bot.errors import UserError
from bot.ids import Action
from bot.insights import patterns
from bot.insights.render import patterns as render
from handlers.deps import Deps
from handlers.slack import bug_forms
from handlers.slack.bugs import NO_JIRA
from handlers.slack.followups import ack_then
from handlers.slack.subcommands import Invocation, Registry, Subcommand
from integrations.slack_directory import know_user

USAGE = "patterns"
DETAILS = (
    "Lists the emerging patterns raised today and earlier this week: a tag, Jira component or "
    "helpdesk group with at least PATTERN_MIN_TICKETS tickets in 24 hours and PATTERN_FACTOR "
    "times its daily average over the 4 weeks before. Each is raised once a day in "
    "LEADS_CHANNEL (or by DM to SUPPORT_LEADS), with File one bug for all."
)


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add `/support patterns` and the File one bug for all button."""
    registry.add(
        Subcommand(
            "patterns",
            USAGE,
            "spikes of a tag, component or group raised today and this week",
            lambda inv: _patterns(deps, inv),
            details=DETAILS,
        )
    )
    app.action(Action.PATTERN_FILE)(**ack_then(_file_for_all(deps)))


def _patterns(deps: Deps, inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
    if inv.args:
        raise UserError("`patterns` takes nothing more")
    now = deps.clock()
    with reading(deps.factory) as session:
        return render.listing(patterns.recent(session, now), now)


def _file_for_all(deps: Deps) -> Callable[..., None]:
    def open_form(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: read the user if unknown, then open the File bug modal for all."""
        if not deps.settings.jira_configured:
            respond(text=NO_JIRA, response_type="ephemeral", replace_original=False)
            return
        user_id = body["user"]["id"]
        value = (body.get("actions") or [{}])[0].get("value")
        know_user(deps.factory, client, user_id, deps.clock())
        try:
            with reading(deps.factory) as session:
                if not linking.may_file_or_link(session, user_id):
                    raise UserError(linking.NOT_ALLOWED)
                pattern, tickets = patterns.filing_tickets(session, value)
                summary, description = patterns.filing_draft(pattern, tickets)
                view = bug_forms.pattern_form(
                    session,
                    tickets,
                    pattern_id=pattern.id,
                    summary=summary,
                    description=description,
                    project=deps.settings.jira_project_key,
                )
        except UserError as err:
            text = f":warning: {err.message}"
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return open_form
