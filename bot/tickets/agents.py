"""Helpdesk agents and the Slack users they are: found by email, then by name, or set by a lead.

An agent's email comes from the helpdesk (Zendesk's user record, the generic webhook's
assignee). Slack is asked once per address with `users.lookupByEmail` (a pending call made
outside any transaction; https://docs.slack.dev/reference/methods/users.lookupByEmail); an
address Slack does not know is asked again after a day. When no email answer exists, the
assignee's name is matched against the members' real names. A lead's mapping wins over both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import pending_calls, people
from bot.db import insert_if_absent
from bot.errors import UserError
from bot.models import PendingCall, SlackUser
from bot.tickets import known
from bot.tickets.models import HelpdeskAgent, HelpdeskName, Ticket

LOOKUP = "slack.lookup_email"
FOUND, LEAD, MISSING = "email", "lead", "missing"
ASK_AGAIN = timedelta(days=1)
_EMAIL = re.compile(r"^[^@\s<>|]{1,200}@[^@\s<>|]{1,200}\.[^@\s<>|.]{1,50}$")
# Slack escapes an address typed in a command as <mailto:a@b.c|a@b.c> (should_escape: true).
_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


def parse_email(text: str) -> str:
    """An email address (as typed, or as Slack escapes it), lower-cased."""
    raw = text.strip()
    escaped = _MAILTO.match(raw)
    email = (escaped.group(1) if escaped else raw).strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"`{raw[:60]}` is not an email address", field="email")
    return email


def parse_user(text: str) -> str:
    """A Slack user id from a mention (`<@U123|ada>`) or a bare id."""
    found = _USER.match(text.strip())
    if not found:
        raise UserError(f"`{text[:40]}` is not a Slack user: mention them with @", field="user")
    return found.group(1) or found.group(2)


def email_of(session: Session, provider: str, external_id: str | None) -> str | None:
    """The email the helpdesk gave for one of its users, lower-cased."""
    if not external_id:
        return None
    row = known.name_row(session, provider, "user", external_id)
    return row.email.strip().lower() if row is not None and row.email else None


def slack_user(session: Session, *, email: str | None, name: str | None) -> str | None:
    """The Slack user an agent is: by email (lead's or Slack's answer), else by exact name."""
    if email:
        agent = session.get(HelpdeskAgent, email)
        if agent is not None and agent.slack_user_id:
            return agent.slack_user_id
    return people.slack_id_named(session, name) if name else None


def assignee_of(session: Session, ticket: Ticket) -> str | None:
    """The Slack user id of a ticket's assignee, when known."""
    if not (ticket.assignee_id or ticket.assignee):
        return None
    email = email_of(session, ticket.provider, ticket.assignee_id)
    return slack_user(session, email=email, name=ticket.assignee)


def remember(
    session: Session,
    *,
    provider: str,
    external_id: str,
    name: str | None,
    email: str | None,
    now: datetime,
) -> None:
    """Record an agent a helpdesk event named (the generic webhook's assignee), and look them up."""
    key = (provider, "user", external_id)
    row = known.name_row(session, *key)
    if row is None:
        known.forget_misses(session, [key])
        insert_if_absent(
            session,
            HelpdeskName,
            {
                "provider": provider,
                "kind": "user",
                "external_id": external_id,
                "name": (name or external_id)[:255],
                "email": email,
                "is_agent": True,
                "updated_at": now,
            },
            ["provider", "kind", "external_id"],
        )
    elif (name and row.name != name) or (email and row.email != email) or not row.is_agent:
        row.name, row.email = (name or row.name)[:255], email or row.email
        row.is_agent, row.updated_at = True, now
    if email:
        request_lookup(session, email, now)


def request_lookup(session: Session, email: str, now: datetime, *, again: bool = False) -> bool:
    """Ask Slack who has this address, unless known (or asked within the last day); `again`
    asks even if asked today (a lead removed their mapping)."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        return False
    agent = session.get(HelpdeskAgent, email)
    if agent is not None and (
        agent.how != MISSING or (agent.checked_at and agent.checked_at > now - ASK_AGAIN)
    ):
        return False
    return pending_calls.enqueue(
        session,
        key=f"{LOOKUP}:{email}:{now:%Y%m%dT%H%M%S%f}"
        if again
        else f"{LOOKUP}:{email}:{now:%Y%m%d}",
        kind=LOOKUP,
        payload={"email": email},
        now=now,
    )


def request_unknown(session: Session, now: datetime, limit: int = 100) -> int:
    """Look up agents Slack was never asked about (names cached earlier), and once a day again
    those it knew nobody for (they may have joined Slack or changed their email since)."""
    stale = session.scalars(
        select(HelpdeskAgent.email)
        .where(HelpdeskAgent.how == MISSING, HelpdeskAgent.checked_at <= now - ASK_AGAIN)
        .order_by(HelpdeskAgent.checked_at)
        .limit(limit)
    ).all()
    asked = select(HelpdeskAgent.email)
    emails = session.scalars(
        select(func.lower(HelpdeskName.email))
        .where(
            HelpdeskName.kind == "user",
            HelpdeskName.is_agent.is_(True),
            HelpdeskName.email.is_not(None),
            func.lower(HelpdeskName.email).not_in(asked),
        )
        .distinct()
        .limit(limit)
    ).all()
    return sum(request_lookup(session, email, now) for email in [*stale, *emails] if email)


def looked_up(session: Session, call: PendingCall, result: dict[str, Any], now: datetime) -> None:
    """Record Slack's answer: the member with this address, or nobody (a lead's choice stays)."""
    email = str(call.payload["email"])
    user = result.get("user")
    member = None
    if isinstance(user, dict) and user.get("id"):
        people.record_user(session, user, now)
        session.flush()
        if people.is_full_member(session, str(user["id"])):
            member = str(user["id"])
    insert_if_absent(
        session,
        HelpdeskAgent,
        {"email": email, "how": MISSING, "checked_at": now, "updated_at": now},
        ["email"],
    )
    agent = session.get(HelpdeskAgent, email)
    assert agent is not None
    agent.checked_at = now
    if agent.how == LEAD:
        return
    if member != agent.slack_user_id or agent.how != (FOUND if member else MISSING):
        agent.slack_user_id, agent.how, agent.updated_at = member, FOUND if member else MISSING, now


def lookup_failed(
    session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime
) -> None:
    """Slack could not answer: the name match stands in until a later lookup."""
    return None


def known_agent(session: Session, email: str) -> bool:
    """Whether a helpdesk has told us of an agent with this address."""
    if session.get(HelpdeskAgent, email) is not None:
        return True
    return (
        session.scalar(
            select(HelpdeskName.external_id)
            .where(HelpdeskName.kind == "user", func.lower(HelpdeskName.email) == email)
            .limit(1)
        )
        is not None
    )


def map_agent(
    session: Session, *, email: str, user_id: str, by: str, now: datetime
) -> HelpdeskAgent:
    """A lead's mapping of a helpdesk agent to a full member (no bots, guests or leavers)."""
    if not known_agent(session, email):
        raise UserError(
            f"No helpdesk agent has the email {email}: `/support people list` shows the "
            "agents the helpdesks told me of",
            field="email",
        )
    user = session.get(SlackUser, user_id)
    if user is None:
        raise UserError(f"Slack does not know <@{user_id}>", field="user")
    if user.is_bot:
        raise UserError(f"<@{user_id}> is a bot: map the agent to a person", field="user")
    if user.is_guest:
        raise UserError(
            f"<@{user_id}> is a guest: only full members can stand for helpdesk agents",
            field="user",
        )
    if user.deleted:
        raise UserError(f"<@{user_id}> is deactivated", field="user")
    insert_if_absent(
        session, HelpdeskAgent, {"email": email, "how": LEAD, "updated_at": now}, ["email"]
    )
    agent = session.get(HelpdeskAgent, email)
    assert agent is not None
    agent.slack_user_id, agent.how, agent.set_by, agent.updated_at = user_id, LEAD, by, now
    return agent


def unmap_agent(session: Session, email: str, now: datetime) -> None:
    """Forget a lead's mapping: Slack is asked by email again."""
    agent = session.get(HelpdeskAgent, email)
    if agent is None or agent.how != LEAD:
        raise UserError(f"No lead mapped {email}: `/support people list` shows who is mapped")
    session.delete(agent)
    session.flush()
    request_lookup(session, email, now, again=True)


@dataclass(frozen=True)
class AgentRow:
    """One agent as `/support people list` shows them."""

    email: str
    name: str | None
    slack_user_id: str | None
    how: str  # email | lead | name | missing | asking


def listing(session: Session, limit: int = 100) -> list[AgentRow]:
    """Every agent the helpdesks named, with the Slack user they are and how that was found."""
    names: dict[str, str] = {}
    for email, name in session.execute(
        select(func.lower(HelpdeskName.email), HelpdeskName.name).where(
            HelpdeskName.kind == "user",
            HelpdeskName.is_agent.is_(True),
            HelpdeskName.email.is_not(None),
        )
    ):
        names.setdefault(email, name)
    agents = {a.email: a for a in session.scalars(select(HelpdeskAgent))}
    rows = []
    for email in sorted(set(names) | set(agents))[:limit]:
        agent, name = agents.get(email), names.get(email)
        if agent is not None and agent.slack_user_id:
            rows.append(AgentRow(email, name, agent.slack_user_id, agent.how))
            continue
        by_name = people.slack_id_named(session, name) if name else None
        how = "name" if by_name else (MISSING if agent is not None else "asking")
        rows.append(AgentRow(email, name, by_name, how))
    return rows


def emails_of(session: Session, user_id: str) -> list[str]:
    """The agent addresses mapped to a Slack user."""
    return list(
        session.scalars(select(HelpdeskAgent.email).where(HelpdeskAgent.slack_user_id == user_id))
    )
