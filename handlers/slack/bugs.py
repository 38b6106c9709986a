"""Jira bugs from ticket threads: the File bug button and shortcuts, the modals, the issue
search behind the Link modal's external select, and Unlink.

Only full workspace members (not guests) may file or link: the cached directory answers, and a
user not cached yet is read with users.info (after the ack). The modals open from the database
alone; only the search options call Jira, within their own 3-second budget.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import people
from bot.bugs import filing as bug_filing
from bot.bugs import records
from bot.bugs.render import forms
from bot.bugs.render import messages as render
from bot.db import transaction
from bot.errors import UserError
from bot.ids import Action, Shortcut, View
from bot.ids import BugField as F
from bot.tickets import threads
from bot.tickets.models import Ticket
from handlers.deps import Deps
from handlers.slack import bug_forms
from integrations.jira import JiraClient, JiraError
from integrations.slack_directory import full_member

log = logging.getLogger("supportbot.slack")

# The search answers Slack's options request, which must come back within 3 seconds.
SEARCH_TIMEOUT = (1.0, 1.5)
NOT_A_THREAD = "That message is not in a ticket thread: use this on a ticket's thread."
NO_JIRA = (
    ":warning: Jira is not connected: set JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN and "
    "JIRA_PROJECT_KEY to file and link bugs."
)


def _where(body: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(channel, message, thread parent ts) of a message action or message shortcut."""
    channel = (body.get("channel") or {}).get("id", "")
    message = body.get("message") or {}
    ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
    return channel, message, str(message.get("thread_ts") or ts)


def register(app: App, deps: Deps) -> None:
    """The File bug button and shortcuts, the two modals, the search, and Unlink."""
    settings = deps.settings
    searcher = (
        JiraClient(
            settings.jira_url or "",
            settings.jira_email or "",
            settings.secret("jira_api_token"),
            timeout=SEARCH_TIMEOUT,
        )
        if settings.jira_configured
        else None
    )

    def open_form(body: dict[str, Any], client: WebClient, respond: Respond, *, link: bool) -> None:
        user_id = body["user"]["id"]
        channel, message, thread_ts = _where(body)
        if not settings.jira_configured:
            respond(text=NO_JIRA, response_type="ephemeral")
            return
        if not full_member(deps.factory, client, user_id, deps.clock()):
            respond(text=render.not_allowed(), response_type="ephemeral")
            return
        with transaction(deps.factory) as session:
            ticket = threads.thread_ticket(session, channel, thread_ts)
            if ticket is None:
                view = None
            elif link:
                view = bug_forms.link_form(session, ticket, channel=channel, thread_ts=thread_ts)
            else:
                chosen = message if message.get("ts") != thread_ts else None
                view = bug_forms.file_form(
                    session,
                    ticket,
                    channel=channel,
                    thread_ts=thread_ts,
                    user_id=user_id,
                    project=settings.jira_project_key,
                    chosen=chosen,
                )
        if view is None:
            respond(text=NOT_A_THREAD, response_type="ephemeral")
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(Action.BUG_FILE)
    def file_button(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        open_form(body, client, respond, link=False)

    @app.shortcut(Shortcut.FILE_BUG)
    def file_shortcut(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        open_form(body, client, respond, link=False)

    @app.shortcut(Shortcut.LINK_BUG)
    def link_shortcut(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        open_form(body, client, respond, link=True)

    @app.action(Action.BUG_LINK_INSTEAD)
    def link_instead(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        meta = json.loads(view.get("private_metadata") or "{}")
        with transaction(deps.factory) as session:
            ticket = session.get(Ticket, meta.get("ticket"))
            if ticket is None:
                return
            form = bug_forms.link_form(
                session, ticket, channel=meta["channel"], thread_ts=meta["thread_ts"]
            )
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)

    @app.view(View.BUG_FILE_FORM)
    def submit_file(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        filing = bug_forms.read_filing((view.get("state") or {}).get("values") or {})
        with transaction(deps.factory) as session:
            ticket = session.get(Ticket, meta.get("ticket"))
            if people.is_full_member(session, user_id) is not True:
                errors = {F.SUMMARY: "Only full members of this workspace can file bugs."}
            elif ticket is None:
                errors = {F.SUMMARY: "That ticket is no longer known here."}
            else:
                errors = bug_filing.validate_filing(filing, bug_filing.read_meta(session))
            if not errors and ticket is not None:
                records.request_filing(
                    session,
                    ticket=ticket,
                    filing=filing,
                    form=asdict(filing),
                    user_id=user_id,
                    channel=meta["channel"],
                    thread_ts=meta["thread_ts"],
                    request_id=view["id"],
                    now=deps.clock(),
                )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        deps.wake_calls()
        deps.wake_outbox()

    @app.view(View.BUG_LINK_FORM)
    def submit_link(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        key, unlink = bug_forms.read_link((view.get("state") or {}).get("values") or {})
        errors: dict[str, str] = {}
        if key == forms.ERROR_VALUE:
            errors[F.PICK] = "The search failed: type again to pick an issue."
        elif key is None and not unlink:
            errors[F.PICK] = "Pick a Jira issue (type its key or words from its summary)."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            with transaction(deps.factory) as session:
                ticket = session.get(Ticket, meta.get("ticket"))
                if people.is_full_member(session, user_id) is not True:
                    raise UserError("Only full members of this workspace can link bugs.")
                if ticket is None:
                    raise UserError("That ticket is no longer known here.")
                _link(session, ticket, key, unlink, user_id, meta, view["id"], deps.clock())
        except UserError as err:
            block = F.UNLINK if err.field == "unlink" else F.PICK
            errors[block] = err.message
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        deps.wake_calls()
        deps.wake_outbox()

    @app.options(Action.BUG_SEARCH)
    def search(ack: Ack, body: dict[str, Any]) -> None:
        query = str(body.get("value") or "").strip()
        if searcher is None or len(query) < 2:
            ack(options=[])
            return
        with transaction(deps.factory) as session:
            allowed = people.is_full_member(session, body["user"]["id"]) is not False
        if not allowed:
            ack(options=[])
            return
        try:
            found = searcher.search(query, limit=20)
        except JiraError as err:
            log.warning("bugs.search_failed status=%s reason=%s", err.status, err.reason)
            ack(options=forms.search_failed(err.reason))
            return
        ack(options=forms.search_options([_summary(issue) for issue in found]))

    @app.action(Action.BUG_UNLINK)
    def unlink_button(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        key = str((body.get("actions") or [{}])[0].get("value") or "")
        channel, _, thread_ts = _where(body)
        if not full_member(deps.factory, client, body["user"]["id"], deps.clock()):
            respond(text=render.not_allowed(), response_type="ephemeral")
            return
        try:
            with transaction(deps.factory) as session:
                ticket = threads.thread_ticket(session, channel, thread_ts)
                if ticket is None:
                    raise UserError(NOT_A_THREAD)
                records.unlink(
                    session,
                    ticket=ticket,
                    key=key,
                    user_id=body["user"]["id"],
                    thread_ts=thread_ts,
                    request_id=str(body.get("trigger_id") or deps.clock().timestamp()),
                    now=deps.clock(),
                )
        except UserError as err:
            respond(text=f":warning: {err.message}", response_type="ephemeral")
            return
        deps.wake_calls()
        deps.wake_outbox()

    @app.action(Action.BUG_OPEN)
    def open_in_jira(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL


def _link(
    session: Session,
    ticket: Ticket,
    key: str | None,
    unlink: list[str],
    user_id: str,
    meta: dict[str, Any],
    request_id: str,
    now: datetime,
) -> None:
    """Unlink what was ticked and queue the link (UserError rolls both back)."""
    for old in unlink:
        try:
            records.unlink(
                session,
                ticket=ticket,
                key=old,
                user_id=user_id,
                thread_ts=meta["thread_ts"],
                request_id=request_id,
                now=now,
            )
        except UserError as err:
            raise UserError(err.message, field="unlink") from None
    if key:
        records.request_link(
            session,
            ticket=ticket,
            key=key,
            user_id=user_id,
            channel=meta["channel"],
            thread_ts=meta["thread_ts"],
            request_id=request_id,
            now=now,
        )


def _summary(issue: dict[str, Any]) -> tuple[str, str, str | None]:
    fields = issue.get("fields") or {}
    status = (fields.get("status") or {}).get("name")
    return str(issue.get("key")), str(fields.get("summary") or ""), status
