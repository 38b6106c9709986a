"""Jira bugs from ticket threads: File bug and Link to bug (buttons, shortcuts, modals), the
issue search behind the Link modal's external select, and Unlink.

Who may do what is bot.bugs.linking's. Opening a modal or answering in the thread follows the
ack (handlers.slack.followups), after reading a user the directory cache does not know yet
(users.info). The modals open from the database alone; only the search calls Jira, with the
short-timeout client the composition root builds for it, and its answer is the ack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.bugs import linking
from bot.bugs.render import forms
from bot.db import reading, transaction
from bot.errors import UserError
from bot.ids import Action, Shortcut, View
from bot.ids import BugField as F
from bot.insights import patterns
from bot.render.blocks import escape
from handlers.deps import Deps
from handlers.slack import bug_forms
from handlers.slack.followups import ack_only, ack_then
from integrations.jira import JiraClient, JiraError
from integrations.slack_directory import know_user

log = logging.getLogger("supportbot.slack")

NO_JIRA = (
    ":warning: Jira is not connected: set JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN and "
    "JIRA_PROJECT_KEY to file and link bugs."
)
Listener = Callable[..., None]


def register(app: App, deps: Deps, search: JiraClient | None) -> None:
    """File bug, Link to bug and Unlink; `search` is the Jira client for the issue search."""
    # Filing: the button on a ticket's root message, the message shortcut, the modal.
    app.action(Action.BUG_FILE)(**ack_then(_form_opener(deps, link=False)))
    app.shortcut(Shortcut.FILE_BUG)(**ack_then(_form_opener(deps, link=False)))
    app.action(Action.BUG_LINK_INSTEAD)(**ack_then(_switch_to_link(deps)))
    app.view(View.BUG_FILE_FORM)(_submit_filing(deps))
    # Linking: the message shortcut, the search, the modal, Unlink on a "Linked to" reply.
    app.shortcut(Shortcut.LINK_BUG)(**ack_then(_form_opener(deps, link=True)))
    app.options(Action.BUG_SEARCH)(_search(deps, search))
    app.view(View.BUG_LINK_FORM)(_submit_link(deps))
    app.action(Action.BUG_UNLINK)(**ack_then(_unlink(deps)))
    # Link to <KEY> on the reply that lists similar earlier tickets.
    app.action(Action.BUG_LINK_SIMILAR)(**ack_then(_link_similar(deps)))
    app.action(Action.BUG_OPEN)(ack_only)  # a link button: Slack opens the URL


def _where(body: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(channel, message, thread parent ts) of a message action or message shortcut."""
    channel = (body.get("channel") or {}).get("id", "")
    message = body.get("message") or {}
    ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
    return channel, message, str(message.get("thread_ts") or ts)


def _meta(view: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(view.get("private_metadata") or "{}"))


def _values(view: dict[str, Any]) -> dict[str, Any]:
    return dict((view.get("state") or {}).get("values") or {})


def _form_opener(deps: Deps, *, link: bool) -> Listener:
    def open_form(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: read the user if unknown, then open the modal with the trigger_id."""
        if not deps.settings.jira_configured:
            respond(text=NO_JIRA, response_type="ephemeral")
            return
        user_id = body["user"]["id"]
        channel, message, thread_ts = _where(body)
        know_user(deps.factory, client, user_id, deps.clock())
        try:
            with reading(deps.factory) as session:
                ticket = linking.thread_ticket(
                    session, user_id=user_id, channel=channel, thread_ts=thread_ts
                )
                if link:
                    view = bug_forms.link_form(
                        session, ticket, channel=channel, thread_ts=thread_ts
                    )
                else:
                    view = bug_forms.file_form(
                        session,
                        ticket,
                        channel=channel,
                        thread_ts=thread_ts,
                        user_id=user_id,
                        project=deps.settings.jira_project_key,
                        chosen=message if message.get("ts") != thread_ts else None,
                    )
        except UserError as err:
            respond(text=f":warning: {err.message}", response_type="ephemeral")
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return open_form


def _switch_to_link(deps: Deps) -> Listener:
    def link_instead(body: dict[str, Any], client: WebClient) -> None:
        """After the ack: replace the File bug modal with the Link modal."""
        view = body.get("view") or {}
        meta = _meta(view)
        with reading(deps.factory) as session:
            ticket = linking.known_ticket(session, meta.get("ticket"))
            if ticket is None:
                return
            form = bug_forms.link_form(
                session, ticket, channel=meta["channel"], thread_ts=meta["thread_ts"]
            )
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)

    return link_instead


def _submit_filing(deps: Deps) -> Listener:
    def submit_filing(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _meta(view)
        filing = bug_forms.read_filing(_values(view))
        with transaction(deps.factory) as session:
            if meta.get("pattern") is not None:
                errors = patterns.file_for_all(
                    session,
                    pattern_id=meta["pattern"],
                    form=filing,
                    user_id=body["user"]["id"],
                    request_id=view["id"],
                    now=deps.clock(),
                )
            else:
                errors = linking.file_from_form(
                    session,
                    ticket_id=meta.get("ticket"),
                    filing=filing,
                    user_id=body["user"]["id"],
                    channel=str(meta.get("channel") or ""),
                    thread_ts=str(meta.get("thread_ts") or ""),
                    request_id=view["id"],
                    now=deps.clock(),
                )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        deps.wake_calls()
        deps.wake_outbox()

    return submit_filing


def _submit_link(deps: Deps) -> Listener:
    def submit_link(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _meta(view)
        key, unlink = bug_forms.read_link(_values(view))
        if key == forms.ERROR_VALUE:
            problem = "The search failed: type again to pick an issue."
            ack(response_action="errors", errors={F.PICK: problem})
            return
        if key is None and not unlink:
            problem = "Pick a Jira issue (type its key or words from its summary)."
            ack(response_action="errors", errors={F.PICK: problem})
            return
        try:
            with transaction(deps.factory) as session:
                linking.link_from_form(
                    session,
                    ticket_id=meta.get("ticket"),
                    key=key,
                    unlink=unlink,
                    user_id=body["user"]["id"],
                    channel=str(meta.get("channel") or ""),
                    thread_ts=str(meta.get("thread_ts") or ""),
                    request_id=view["id"],
                    now=deps.clock(),
                )
        except UserError as err:
            block = F.UNLINK if err.field == "unlink" else F.PICK
            ack(response_action="errors", errors={block: err.message})
            return
        ack()
        deps.wake_calls()
        deps.wake_outbox()

    return submit_link


def _search(deps: Deps, search: JiraClient | None) -> Listener:
    def search_issues(ack: Ack, body: dict[str, Any]) -> None:
        """The options are the ack: Jira is asked first, within the search client's timeouts."""
        query = str(body.get("value") or "").strip()
        if search is None or len(query) < 2:
            ack(options=[])
            return
        with reading(deps.factory) as session:
            allowed = linking.may_search(session, body["user"]["id"])
        if not allowed:
            ack(options=[])
            return
        try:
            found = search.search(query, limit=20)
        except JiraError as err:
            log.warning("bugs.search_failed status=%s reason=%s", err.status, err.reason)
            ack(options=forms.search_failed(err.reason))
            return
        ack(options=forms.search_options([_summary(issue) for issue in found]))

    return search_issues


def _unlink(deps: Deps) -> Listener:
    def unlink(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: read the user if unknown, unlink, or say why not."""
        user_id = body["user"]["id"]
        channel, _, thread_ts = _where(body)
        know_user(deps.factory, client, user_id, deps.clock())
        try:
            with transaction(deps.factory) as session:
                linking.unlink_in_thread(
                    session,
                    key=str((body.get("actions") or [{}])[0].get("value") or ""),
                    user_id=user_id,
                    channel=channel,
                    thread_ts=thread_ts,
                    request_id=str(body.get("trigger_id") or deps.clock().timestamp()),
                    now=deps.clock(),
                )
        except UserError as err:
            respond(text=f":warning: {err.message}", response_type="ephemeral")
            return
        deps.wake_calls()
        deps.wake_outbox()

    return unlink


def _link_similar(deps: Deps) -> Listener:
    def link_similar(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: read the user if unknown, queue the link, or say why not."""
        if not deps.settings.jira_configured:
            respond(text=NO_JIRA, response_type="ephemeral")
            return
        user_id = body["user"]["id"]
        channel, _, thread_ts = _where(body)
        key = str((body.get("actions") or [{}])[0].get("value") or "")
        know_user(deps.factory, client, user_id, deps.clock())
        try:
            with transaction(deps.factory) as session:
                queued = linking.link_in_thread(
                    session,
                    key=key,
                    user_id=user_id,
                    channel=channel,
                    thread_ts=thread_ts,
                    now=deps.clock(),
                )
        except UserError as err:
            respond(text=f":warning: {err.message}", response_type="ephemeral")
            return
        if not queued:
            text = f"Linking this ticket to {escape(key[:40])} was already asked for."
            respond(text=text, response_type="ephemeral")
            return
        deps.wake_calls()
        deps.wake_outbox()

    return link_similar


def _summary(issue: dict[str, Any]) -> tuple[str, str, str | None]:
    fields = issue.get("fields") or {}
    status = (fields.get("status") or {}).get("name")
    return str(issue.get("key")), str(fields.get("summary") or ""), status
