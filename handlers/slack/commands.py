"""`/support`: parse the subcommand, check who may run it, call it, answer ephemerally."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import people
from bot.db import transaction
from bot.errors import UserError
from bot.ids import Command
from bot.render.help import render_help
from handlers.deps import Deps
from handlers.slack.followups import ack_then
from handlers.slack.subcommands import Invocation, Registry, Subcommand

MODAL = "supportbot_modal"
# The arguments of a subcommand answered after the ack because it asks Slack first.
LATER = "supportbot_later"


def help_subcommand(registry: Registry) -> Subcommand:
    """`/support help [<subcommand>]`, answered from the registry itself."""

    def run(inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
        if inv.args:
            topic = registry.get(inv.args[0].lower())
            if topic is None:
                return render_help(registry.entries(), unknown=inv.args[0])
            return render_help(registry.entries(), topic=topic.help)
        return render_help(registry.entries())

    return Subcommand(
        "help",
        "help [<subcommand>]",
        "list the subcommands, or explain one",
        run,
        details="Example: `/support help route`.",
    )


def split_args(text: str) -> list[str]:
    """Split the command text like a shell would, tolerating unbalanced quotes."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _is_lead(deps: Deps, user_id: str) -> bool:
    with transaction(deps.factory) as session:
        return people.is_lead(session, deps.settings.support_leads, user_id)


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Listen for `/support`: the answer is the ack, unless the subcommand must ask Slack first;
    a modal, or an answer that needed Slack, follows right after the ack."""
    registry.add(help_subcommand(registry))

    def invocation_of(command: dict[str, Any], args: list[str]) -> Invocation:
        return Invocation(
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            args=args[1:],
            raw=command.get("text") or "",
            deps=deps,
            trigger_id=str(command.get("trigger_id") or ""),
        )

    def support(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        args = split_args(command.get("text") or "")
        name = args[0].lower() if args else "help"
        sub = registry.get(name)
        if sub is None:
            text, blocks = render_help(registry.entries(), unknown=args[0])
            ack(text=text, blocks=blocks, response_type="ephemeral")
            return
        invocation = invocation_of(command, args)
        if sub.leads_only and not _is_lead(deps, invocation.user_id):
            who = people.describe(deps.settings.support_leads)
            ack(
                text=f":no_entry: `/support {sub.name}` is for support leads only: ask {who}.",
                response_type="ephemeral",
            )
            return
        if sub.answers_later(invocation.args):
            context[LATER] = args  # Bolt copies the context for the follow-up
            ack()
            return
        answer = _answer(sub, invocation)
        if invocation.modal is not None:
            context[MODAL] = invocation.modal
        ack(**answer)

    def follow_up(
        body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
    ) -> None:
        """After the ack: answer a subcommand that asks Slack, or open the subcommand's modal
        with the command's trigger_id."""
        args = context.get(LATER)
        if args is not None:
            invocation = invocation_of(body, args)
            invocation.client = client
            respond(**_answer(registry.get(args[0].lower()), invocation))
        view = context.get(MODAL)
        if view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=view)

    app.command(Command.SUPPORT)(**ack_then(follow_up, ack=support))


def _answer(sub: Subcommand | None, invocation: Invocation) -> dict[str, Any]:
    """The subcommand's answer (or its usage line after a mistake) as ack/respond arguments."""
    assert sub is not None
    try:
        text, blocks = sub.handler(invocation)
    except UserError as err:
        return {
            "text": f":warning: {err.message}\nUsage: `/support {sub.usage}`",
            "response_type": "ephemeral",
        }
    return {
        "text": text,
        "blocks": blocks,
        "response_type": "in_channel" if invocation.public else "ephemeral",
    }
