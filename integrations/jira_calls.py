"""Executors of the bug calls: create issues, add and remove remote links and comments in Jira,
and add the bugs' internal notes to helpdesk tickets. Each runs outside any transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.bugs.filing import CREATE
from bot.bugs.notices import SYSTEM_NOTE
from bot.bugs.records import LINK, UNLINK
from bot.bugs.render import messages as render
from bot.bugs.state import state_of_issue
from bot.pending_calls import Claimed
from integrations.clients import Clients
from integrations.slack_directory import user_name

log = logging.getLogger("supportbot.bugs")

Executor = Callable[[Claimed, datetime], dict[str, Any]]


def executors(factory: sessionmaker[Session], clients: Clients) -> dict[str, Executor]:
    """The bug calls this process can make (Jira ones when Jira is configured)."""
    table: dict[str, Executor] = {}
    if clients.zendesk is not None:
        zendesk = clients.zendesk

        def system_note(call: Claimed, _now: datetime) -> dict[str, Any]:
            ticket_id, body = call.payload["ticket_id"], call.payload["body"]
            if call.attempts > 1:  # an earlier attempt may have landed before its answer was lost
                for comment in zendesk.comments(ticket_id):
                    if not comment.get("public", True) and comment.get("body") == body:
                        return {"comment_id": str(comment.get("id")), "found": True}
            return zendesk.add_internal_note(ticket_id, body)

        table[SYSTEM_NOTE] = system_note
    jira = clients.jira
    if jira is None:
        return table

    def create(call: Claimed, now: datetime) -> dict[str, Any]:
        payload = call.payload
        fields = dict(payload["fields"])
        permalink = _permalink(clients, payload["channel"], payload["thread_ts"])
        fields["description"] = render.description_with_links(
            payload["description"], payload["ticket_label"], payload.get("ticket_url"), permalink
        )
        fields["labels"] = list(dict.fromkeys([*fields.get("labels", []), payload["tag"]]))
        issue = None
        if call.attempts > 1:  # an earlier attempt may have created it before failing
            issue = jira.find_filed(fields["project"]["key"], payload["tag"], fields["summary"])
        if issue is None:
            issue = jira.create_issue(fields)
        state = state_of_issue(issue, jira.browse_url(issue["key"]))
        log.info("bugs.filed key=%s call=%s", state.key, call.key)
        return {"issue": state.to_json()}

    def link(call: Claimed, now: datetime) -> dict[str, Any]:
        payload = call.payload
        key = payload["key"]
        state = None
        if payload.get("how") != "filed":
            state = state_of_issue(jira.issue(key), jira.browse_url(key))
        label = payload["ticket_label"]
        if payload.get("ticket_url"):
            subject = payload.get("ticket_subject") or ""
            jira.add_remote_link(
                key,
                url=payload["ticket_url"],
                title=f"{label}: {subject}" if subject else label,
                global_id=payload["ticket_global_id"],
            )
        permalink = _permalink(clients, payload["channel"], payload["thread_ts"])
        if permalink:
            jira.add_remote_link(
                key,
                url=permalink,
                title=f"Slack thread of {label}",
                global_id=_thread_global_id(payload),
            )
        if payload.get("comment"):
            author = user_name(factory, clients.slack, payload["user_id"], now)
            jira.add_comment(key, render.link_comment(payload, author, permalink))
        return {"issue": state.to_json() if state else None}

    def unlink(call: Claimed, now: datetime) -> dict[str, Any]:
        payload = call.payload
        removed = jira.delete_remote_link(payload["key"], payload["ticket_global_id"])
        removed += jira.delete_remote_link(payload["key"], _thread_global_id(payload))
        return {"removed": int(removed)}

    table.update({CREATE: create, LINK: link, UNLINK: unlink})
    return table


def _thread_global_id(payload: dict[str, Any]) -> str:
    return f"supportbot-slack-{payload['channel']}-{payload['thread_ts']}"[:255]


def _permalink(clients: Clients, channel: str, ts: str | None) -> str | None:
    if not ts:
        return None
    try:
        return str(clients.slack.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except (SlackApiError, OSError, KeyError) as err:
        log.warning("bugs.permalink_failed channel=%s error=%s", channel, type(err).__name__)
        return None
