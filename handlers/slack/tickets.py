"""Ticket threads in Slack: send a reply to the ticket, routing and reply-sync subcommands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.db import transaction
from bot.errors import UserError
from bot.ids import Action, Shortcut
from bot.tickets import notes, routing
from bot.tickets.render import routes
from handlers.deps import Deps
from handlers.slack.followups import REPLY, ack_then_reply
from handlers.slack.subcommands import Invocation, Registry, Subcommand
from integrations.slack_channels import ChannelUnusable, ensure_member


def register(app: App, deps: Deps, registry: Registry) -> None:
    """The message shortcut, the ticket buttons, and `/support route` and `/support sync`."""

    def send_to_ticket(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Queue the note and ack; the user hears how it went after the transaction closed."""
        message = body.get("message") or {}
        ts = str(message.get("ts", ""))
        try:
            with transaction(deps.factory) as session:
                ticket, queued = notes.note_from_thread(
                    session,
                    channel=(body.get("channel") or {}).get("id", ""),
                    message_ts=ts,
                    thread_ts=str(message.get("thread_ts") or ts),
                    text=str(message.get("text") or ""),
                    user_id=body["user"]["id"],
                    now=deps.clock(),
                    callback=deps.settings.helpdesk_callback_configured,
                )
                label = f"#{ticket.external_id}"
        except UserError as err:
            context[REPLY] = f":warning: {err.message}"
        else:
            context[REPLY] = (
                f"Sending to ticket {label} as an internal note…"
                if queued
                else f"That message was already sent to ticket {label}."
            )
        ack()
        deps.wake_calls()

    app.shortcut(Shortcut.SEND_TO_TICKET)(**ack_then_reply(send_to_ticket))

    @app.action(Action.TICKET_OPEN)
    def open_ticket(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL; the app only acknowledges

    registry.add(
        Subcommand(
            "route",
            "route list | add <group|brand|tag|priority> <value> <#channel> | remove <rule>",
            "route tickets to channels",
            lambda inv: _route(deps, inv),
            leads_only=True,
            details="Rules are checked in order; the first match wins, "
            "otherwise SUPPORT_CHANNEL. Example: "
            "`/support route add group billing #billing-support`. I join a public channel "
            "by myself; invite me to a private one first.",
            asks_slack=("add",),
        )
    )
    registry.add(
        Subcommand(
            "sync",
            "sync on | off | status",
            "send every reply in this channel's ticket threads to the ticket",
            lambda inv: _sync(deps, inv),
            leads_only=True,
            details="Off by default: then only the message shortcut "
            "*Send to ticket as internal note* sends a reply. I must be in the channel to "
            "hear its replies: I join a public one; invite me to a private one.",
            asks_slack=("on",),
        )
    )


def _usable(inv: Invocation, channel: str) -> bool:
    """Whether the bot is in `channel` (True when it joined just now); UserError otherwise."""
    try:
        return ensure_member(inv.client, channel).joined
    except ChannelUnusable as err:
        raise UserError(routes.channel_refusal(channel, err.reason), field="channel") from None


def _route(deps: Deps, inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
    action = inv.args[0].lower() if inv.args else "list"
    if action == "add":
        if len(inv.args) < 4:
            raise UserError("say which field, which value and which channel")
        channel = routing.parse_channel(inv.args[-1])
        field, value = routing.check_rule(inv.args[1], " ".join(inv.args[2:-1]))
        joined = _usable(inv, channel)  # outside the transaction: nothing is saved on refusal
        with transaction(deps.factory) as session:
            rule = routing.add_rule(
                session,
                field=field,
                value=value,
                channel=channel,
                user_id=inv.user_id,
                now=deps.clock(),
            )
            text, blocks = routes.rule_added(rule)
        return text, [*blocks, routes.joined(channel)] if joined else blocks
    with transaction(deps.factory) as session:
        if action == "list":
            return routes.rules_list(routing.rules(session), deps.settings.support_channel)
        if action == "remove":
            if len(inv.args) != 2 or not inv.args[1].isdigit():
                raise UserError("say which rule to remove, by its number in `route list`")
            return routes.rule_removed(routing.remove_rule(session, int(inv.args[1])))
    raise UserError(f"`{action[:20]}` is not a route action")


def _sync(deps: Deps, inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
    action = inv.args[0].lower() if inv.args else "status"
    joined = _usable(inv, inv.channel_id) if action == "on" else False
    with transaction(deps.factory) as session:
        if action in ("on", "off"):
            notes.set_sync(session, inv.channel_id, action == "on", inv.user_id, deps.clock())
            text, blocks = routes.sync_state(inv.channel_id, action == "on")
            return text, [*blocks, routes.joined(inv.channel_id)] if joined else blocks
        if action == "status":
            return routes.sync_state(inv.channel_id, notes.syncs(session, inv.channel_id))
    raise UserError(f"`{action[:20]}` is not on, off or status")
