"""`/support people`: which Slack member each helpdesk agent is, and a lead's fixes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.db import transaction
from bot.errors import UserError
from bot.tickets import agents
from bot.tickets.render import people as render
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand
from integrations.slack_directory import fetch_user


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Register `/support people`."""
    registry.add(
        Subcommand(
            "people",
            "people list | map <agent email> @person | unmap <agent email>",
            "which Slack member each helpdesk agent is",
            lambda inv: _people(deps, inv),
            leads_only=True,
            details="Agents are found by their helpdesk email (Slack's member profiles), "
            "then by exact name; the assignee of a ticket is mentioned in its thread and gets "
            "the bug DMs. Example: `/support people map ada@example.com @ada`.",
            asks_slack=("map",),
        )
    )


def _people(deps: Deps, inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
    action = inv.args[0].lower() if inv.args else "list"
    if action == "list":
        with transaction(deps.factory) as session:
            return render.agent_list(agents.listing(session))
    if action == "map":
        if len(inv.args) != 3:
            raise UserError("say which agent email and which person: `map ada@example.com @ada`")
        email, user_id = agents.parse_email(inv.args[1]), agents.parse_user(inv.args[2])
        try:  # the profile as Slack has it now: bots, guests and leavers are refused
            fetch_user(deps.factory, inv.client, user_id, deps.clock())
        except (SlackApiError, OSError):
            raise UserError(f"Slack could not tell me who <@{user_id}> is") from None
        with transaction(deps.factory) as session:
            agents.map_agent(
                session, email=email, user_id=user_id, by=inv.user_id, now=deps.clock()
            )
        return render.agent_mapped(email, user_id)
    if action == "unmap":
        if len(inv.args) != 2:
            raise UserError("say which agent email: `unmap ada@example.com`")
        email = agents.parse_email(inv.args[1])
        with transaction(deps.factory) as session:
            agents.unmap_agent(session, email, deps.clock())
        deps.wake_calls()
        return render.agent_unmapped(email)
    raise UserError(f"`{action[:20]}` is not list, map or unmap")
