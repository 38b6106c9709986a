"""Routing rules: which channel a ticket's thread goes to (first match wins)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import UserError
from bot.tickets.models import RoutingRule, Ticket

FIELDS = ("group", "brand", "tag", "priority")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{2,})$")


def parse_channel(text: str) -> str:
    """A channel id from `<#C123|name>` (as Slack escapes it) or a bare id."""
    found = _CHANNEL.match(text.strip())
    if not found:
        raise UserError(
            f"`{text[:40]}` is not a channel: pick one with # so Slack links it", field="channel"
        )
    return found.group(1) or found.group(2)


def check_rule(field: str, value: str) -> tuple[str, str]:
    """The rule's field and value, cleaned; raises UserError when it cannot route."""
    field = field.lower()
    if field not in FIELDS:
        raise UserError(
            f"`{field[:20]}` cannot route tickets; use one of {', '.join(FIELDS)}", field="field"
        )
    value = value.strip()
    if not value or len(value) > 255:
        raise UserError("give the value to match, e.g. `billing`", field="value")
    return field, value


def add_rule(
    session: Session, *, field: str, value: str, channel: str, user_id: str, now: datetime
) -> RoutingRule:
    """Append a rule (it matches after every existing one)."""
    field, value = check_rule(field, value)
    position = (session.scalar(select(func.max(RoutingRule.position))) or 0) + 1
    rule = RoutingRule(
        position=position,
        field=field,
        value=value,
        channel_id=channel,
        created_by=user_id,
        created_at=now,
    )
    session.add(rule)
    session.flush()
    session.info.pop("routing_rules", None)
    return rule


def remove_rule(session: Session, rule_id: int) -> RoutingRule:
    """Delete a rule by its number in `route list`."""
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise UserError(f"there is no rule {rule_id}; `/support route list` shows them")
    session.delete(rule)
    session.info.pop("routing_rules", None)
    return rule


def rules(session: Session) -> list[RoutingRule]:
    """Every rule in matching order."""
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position)))


def matches(rule: RoutingRule, ticket: Ticket) -> bool:
    """Whether a rule applies to the ticket as it is now."""
    want = rule.value.lower()
    if rule.field == "group":
        return want in {(ticket.group_name or "").lower(), (ticket.group_id or "").lower()}
    if rule.field == "brand":
        return want in {(ticket.brand or "").lower(), (ticket.brand_id or "").lower()}
    if rule.field == "tag":
        return want in {t.lower() for t in ticket.tags or []}
    return want == (ticket.priority or "").lower()


def route(session: Session, ticket: Ticket, default: str | None) -> str | None:
    """The channel for a ticket: the first matching rule's, else the default."""
    cached = session.info.get("routing_rules")
    if cached is None:
        cached = session.info["routing_rules"] = rules(session)
    for rule in cached:
        if matches(rule, ticket):
            return rule.channel_id
    return default
