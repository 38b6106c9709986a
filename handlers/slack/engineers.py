"""Ask an engineer: the button on a ticket's root message and the message shortcut open a
modal (areas from the rotations and the cached Jira components); its submission asks the
rotation on shift; I'm on it takes the question.

The modal opens after the ack (handlers.slack.followups), once a user the directory cache does
not know yet has been read; everything else is database work before the ack.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.bugs.filing import read_meta
from bot.db import reading, transaction
from bot.errors import UserError
from bot.ids import Action, Shortcut, View
from bot.ids import QuestionField as F
from bot.rotations import oncall
from bot.tickets import questions
from bot.tickets.render import questions as forms
from bot.tickets.render.thread import label
from bot.tickets.threads import view as ticket_view
from handlers.deps import Deps
from handlers.slack.followups import REPLY, ack_then, ack_then_reply
from integrations.slack_directory import know_user

NO_AREAS = (
    ":warning: No product areas are set up yet: a lead can add `areas` to a rotation "
    "(`/support rotation edit <name>`), or connect Jira so its components can be picked."
)


def register(app: App, deps: Deps) -> None:
    """The Ask an engineer button and shortcut, the modal, and I'm on it."""
    app.action(Action.QUESTION_ASK)(**ack_then(_opener(deps)))
    app.shortcut(Shortcut.ASK_ENGINEER)(**ack_then(_opener(deps)))
    app.view(View.QUESTION_FORM)(_submit(deps))
    app.action(Action.QUESTION_TAKE)(**ack_then_reply(_take(deps)))


def components(meta: dict[str, Any] | None) -> list[str]:
    """Every component name in the cached Jira metadata."""
    names: dict[str, str] = {}
    for project in (meta or {}).get("projects") or []:
        for name in project.get("components") or []:
            names.setdefault(str(name).casefold(), str(name))
    return list(names.values())


def _opener(deps: Deps) -> Any:
    def open_form(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: read the user if unknown, then open the modal with the trigger_id."""
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id", "")
        message = body.get("message") or {}
        ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
        thread_ts = str(message.get("thread_ts") or ts)
        know_user(deps.factory, client, user_id, deps.clock())
        try:
            with reading(deps.factory) as session:
                ticket = questions.thread_ticket(
                    session, user_id=user_id, channel=channel, thread_ts=thread_ts
                )
                choices = oncall.area_choices(session, components(read_meta(session)))
                shown, ticket_id = label(ticket_view(ticket, deps.clock())), ticket.id
        except UserError as err:
            respond(text=f":warning: {err.message}", response_type="ephemeral")
            return
        if not choices:
            respond(text=NO_AREAS, response_type="ephemeral")
            return
        quoted = str(message.get("text") or "") if ts != thread_ts else ""
        view = forms.ask_form(
            choices,
            ticket_id=ticket_id,
            ticket_label=shown,
            channel=channel,
            thread_ts=thread_ts,
            text=quoted,
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return open_form


def _submit(deps: Deps) -> Any:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        picked = ((values.get(F.AREA) or {}).get(F.AREA) or {}).get("selected_option") or {}
        text = str(((values.get(F.TEXT) or {}).get(F.TEXT) or {}).get("value") or "")
        with transaction(deps.factory) as session:
            errors = questions.ask(
                session,
                ticket_id=meta.get("ticket"),
                area=str(picked.get("value") or ""),
                text=text,
                user_id=body["user"]["id"],
                request_id=str(view["id"]),
                now=deps.clock(),
                default_leads=deps.settings.support_leads,
            )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        deps.wake_outbox()

    return submit


def _take(deps: Deps) -> Any:
    def take(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        value = str(body["actions"][0].get("value") or "")
        try:
            if not value.isdigit():
                raise UserError("That button is out of date.")
            with transaction(deps.factory) as session:
                context[REPLY] = questions.take(
                    session, int(value), body["user"]["id"], deps.clock()
                )
        except UserError as err:
            context[REPLY] = f":warning: {err.message}"
        ack()
        deps.wake_outbox()

    return take
