"""Tell the customers: the button on a bug's close notice (in a ticket thread or an agent's DM)
opens a modal with the public reply and the tickets; its submission queues one reply each.

The modal opens after the ack (handlers.slack.followups); the submission is database work
before the ack, and the helpdesk calls follow as pending calls.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.bugs import customers
from bot.bugs.render import customers as forms
from bot.db import reading, transaction
from bot.errors import UserError
from bot.events import bug_config
from bot.ids import Action, View
from bot.ids import CustomerField as F
from bot.tickets.threads import thread_ticket
from handlers.deps import Deps
from handlers.slack.followups import ack_then
from integrations.slack_directory import know_user


def register(app: App, deps: Deps) -> None:
    """The Tell the customers button and its modal."""
    app.action(Action.CUSTOMERS_TELL)(**ack_then(_opener(deps)))
    app.view(View.CUSTOMERS_FORM)(_submit(deps))


def _opener(deps: Deps) -> Any:
    def open_form(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: read the user if unknown, then open the modal with the trigger_id."""
        user_id = body["user"]["id"]
        key = str((body.get("actions") or [{}])[0].get("value") or "")
        channel = (body.get("channel") or {}).get("id", "")
        message = body.get("message") or {}
        ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
        thread_ts = str(message.get("thread_ts") or ts)
        know_user(deps.factory, client, user_id, deps.clock())
        try:
            with reading(deps.factory) as session:
                ticket = (
                    None if channel.startswith("D") else thread_ticket(session, channel, thread_ts)
                )
                offer = customers.offer(
                    session,
                    key=key,
                    user_id=user_id,
                    config=bug_config(deps.settings),
                    ticket_id=ticket.id if ticket is not None else None,
                    channel=channel,
                    thread_ts=thread_ts,
                )
        except UserError as err:
            respond(text=f":warning: {err.message}", response_type="ephemeral")
            return
        client.views_open(trigger_id=body["trigger_id"], view=forms.form(offer))

    return open_form


def _submit(deps: Deps) -> Any:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        reply, ticked, others, status = forms.read(values)
        try:
            with transaction(deps.factory) as session:
                customers.tell(
                    session,
                    key=str(meta.get("bug") or ""),
                    transition_id=int(meta.get("transition") or 0),
                    ticket_ids=ticked,
                    others=others,
                    shown=[int(i) for i in meta.get("shown") or []],
                    scope_user=meta.get("user"),
                    body=reply,
                    new_status=status,
                    user_id=body["user"]["id"],
                    batch=str(view["id"]),
                    now=deps.clock(),
                    config=bug_config(deps.settings),
                )
        except UserError as err:
            block = forms.first_tickets_block(meta) if reply.strip() else F.REPLY
            ack(response_action="errors", errors={block: err.message})
            return
        ack()
        deps.wake_calls()
        deps.wake_outbox()

    return submit
