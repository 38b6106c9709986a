"""Read the bug modals' submitted state, and build them from what the database knows."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from bot import people
from bot.bugs import filing as bug_filing
from bot.bugs import records
from bot.bugs.render import forms
from bot.ids import Action
from bot.ids import BugField as F
from bot.tickets.models import Ticket

Values = dict[str, dict[str, dict[str, Any]]]


def _element(values: Values, block: str, action: str | None = None) -> dict[str, Any]:
    return (values.get(block) or {}).get(action or block) or {}


def _text(values: Values, block: str) -> str:
    return str(_element(values, block).get("value") or "").strip()


def _picked(values: Values, block: str) -> str:
    """A static select's value, or a plain text input's text (the no-cache variant)."""
    element = _element(values, block)
    option = element.get("selected_option")
    return str(option["value"]) if option else str(element.get("value") or "").strip()


def _picked_all(values: Values, block: str) -> list[str]:
    element = _element(values, block)
    if "selected_options" in element:
        return [str(o["value"]) for o in element.get("selected_options") or []]
    return [c.strip() for c in str(element.get("value") or "").split(",") if c.strip()]


def read_filing(values: Values) -> bug_filing.Filing:
    """The filing the File bug modal describes."""
    return bug_filing.Filing(
        project=_picked(values, F.PROJECT).upper(),
        issue_type=_picked(values, F.ISSUE_TYPE) or "Bug",
        summary=_text(values, F.SUMMARY),
        description=str(_element(values, F.DESCRIPTION).get("value") or ""),
        priority=_picked(values, F.PRIORITY) or None,
        components=_picked_all(values, F.COMPONENTS),
        labels=[p for p in re.split(r"[\s,]+", _text(values, F.LABELS)) if p],
        messages=_picked_all(values, F.MESSAGES),
    )


def read_link(values: Values) -> tuple[str | None, list[str]]:
    """(the picked issue key or None, keys to unlink)."""
    option = _element(values, F.PICK, Action.BUG_SEARCH).get("selected_option")
    return (str(option["value"]) if option else None), _picked_all(values, F.UNLINK)


def file_form(
    session: Session,
    ticket: Ticket,
    *,
    channel: str,
    thread_ts: str,
    user_id: str,
    project: str | None,
    chosen: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The File bug modal for a ticket: from the ticket, or from the filing Jira last refused."""
    messages = [
        forms.Message(m.ts, people.display_name(session, m.user), m.text)
        for m in bug_filing.thread_messages(session, channel, thread_ts)
    ]
    description = ticket.description or ""
    picked: list[str] = []
    if chosen and chosen.get("ts"):
        if any(m.ts == chosen["ts"] for m in messages):
            picked.append(str(chosen["ts"]))
        elif chosen.get("text"):
            author = people.display_name(session, str(chosen.get("user") or "")) or "someone"
            description += f"\n\nFrom the Slack thread, {author}:\n{chosen['text']}"
    base = forms.FileForm(
        ticket_id=ticket.id,
        ticket_label=records.ticket_label(ticket),
        channel=channel,
        thread_ts=thread_ts,
        summary=ticket.subject[: bug_filing.SUMMARY_LIMIT],
        description=description.strip(),
        project=project,
        messages=messages,
        chosen=picked,
        meta=bug_filing.read_meta(session),
    )
    refused = bug_filing.last_refusal(session, ticket.id, user_id)
    if refused is not None and refused.payload.get("form"):
        form = refused.payload["form"]
        base = replace(
            base,
            summary=form.get("summary") or base.summary,
            description=form.get("description") or "",
            project=form.get("project") or project,
            issue_type=form.get("issue_type") or "Bug",
            priority=form.get("priority"),
            components=list(form.get("components") or []),
            labels=list(form.get("labels") or []),
            chosen=list(form.get("messages") or []),
            refused=(refused.last_error or "")[:500],
        )
    return forms.file_form(base)


def link_form(session: Session, ticket: Ticket, *, channel: str, thread_ts: str) -> dict[str, Any]:
    """The Link to bug modal, listing the bugs the ticket is linked to now."""
    linked = [(bug.key, bug.summary, bug.status) for _, bug in records.links_of(session, ticket.id)]
    return forms.link_form(
        forms.LinkForm(
            ticket_id=ticket.id,
            ticket_label=records.ticket_label(ticket),
            channel=channel,
            thread_ts=thread_ts,
            linked=linked,
        )
    )


def pattern_form(
    session: Session,
    tickets: list[Ticket],
    *,
    pattern_id: int,
    summary: str,
    description: str,
    project: str | None,
) -> dict[str, Any]:
    """The File bug modal for all the tickets of an emerging pattern (the first one's thread)."""
    first = tickets[0]
    channel, thread_ts = records.thread_of(session, first)
    return forms.file_form(
        forms.FileForm(
            ticket_id=first.id,
            ticket_label=records.ticket_label(first),
            channel=channel,
            thread_ts=thread_ts,
            summary=summary,
            description=description,
            project=project,
            meta=bug_filing.read_meta(session),
            pattern=pattern_id,
            pattern_tickets=len(tickets),
        )
    )
