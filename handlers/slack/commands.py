"""`/support`: parse the subcommand, check who may run it, call it, answer ephemerally."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import people
from bot.db import transaction
from bot.errors import UserError
from bot.ids import Command
from bot.render.help import render_help
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand


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
    """Listen for `/support`."""
    registry.add(help_subcommand(registry))

    @app.command(Command.SUPPORT)
    def support(ack: Ack, command: dict[str, Any], client: Any, respond: Respond) -> None:
        args = split_args(command.get("text") or "")
        name = args[0].lower() if args else "help"
        sub = registry.get(name)
        if sub is None:
            text, blocks = render_help(registry.entries(), unknown=args[0])
            ack(text=text, blocks=blocks, response_type="ephemeral")
            return
        invocation = Invocation(
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            args=args[1:],
            raw=command.get("text") or "",
            deps=deps,
            client=client,
            trigger_id=command.get("trigger_id"),
        )
        if sub.leads_only and not _is_lead(deps, invocation.user_id):
            who = people.describe(deps.settings.support_leads)
            ack(
                text=f":no_entry: `/support {sub.name}` is for support leads only: ask {who}.",
                response_type="ephemeral",
            )
            return
        if sub.answers_later(invocation.args):
            ack()  # no Slack call before the ack: the answer follows through response_url
            respond(**_answer(sub, invocation))
            return
        ack(**_answer(sub, invocation))


def _answer(sub: Subcommand, invocation: Invocation) -> dict[str, Any]:
    """The subcommand's answer (or its usage line after a mistake) as ack/respond arguments."""
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
