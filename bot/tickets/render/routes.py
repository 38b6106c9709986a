"""Answers of `/support route` and `/support sync`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.blocks import Block, context, escape, fallback, section
from bot.tickets.models import RoutingRule


def rules_list(rules: Sequence[RoutingRule], default: str | None) -> tuple[str, list[Block]]:
    """The routing rules in matching order, and where everything else goes."""
    lines = [
        f"{i}. {r.field} = `{escape(r.value)}` → <#{r.channel_id}>  _(rule {r.id})_"
        for i, r in enumerate(rules, start=1)
    ]
    fallback_line = (
        f"Everything else → <#{default}>"
        if default
        else ("Everything else → _nowhere: set SUPPORT_CHANNEL_")
    )
    body = "\n".join(lines) if lines else "_No routing rules yet._"
    blocks = [
        section(f"*Ticket routing* (first match wins)\n{body}\n{fallback_line}"),
        context(
            "`/support route add group billing #billing-support` · `/support route remove <rule>`"
        ),
    ]
    return fallback(f"{len(rules)} routing rule(s)"), blocks


def rule_added(rule: RoutingRule) -> tuple[str, list[Block]]:
    """Confirmation of a new rule."""
    text = (
        f":white_check_mark: Rule {rule.id}: tickets with {rule.field} "
        f"`{escape(rule.value)}` go to <#{rule.channel_id}>."
    )
    return fallback(f"Rule {rule.id} added"), [section(text)]


def rule_removed(rule: RoutingRule) -> tuple[str, list[Block]]:
    """Confirmation of a removed rule."""
    text = f":wastebasket: Removed rule {rule.id} ({rule.field} `{escape(rule.value)}`)."
    return fallback(f"Rule {rule.id} removed"), [section(text)]


def sync_state(channel: str, enabled: bool) -> tuple[str, list[Block]]:
    """Whether replies in this channel's ticket threads go to the ticket."""
    if enabled:
        text = (
            f":arrows_counterclockwise: Every reply in ticket threads in <#{channel}> is now "
            "sent to the ticket as an internal note."
        )
    else:
        text = (
            f"Replies in ticket threads in <#{channel}> stay in Slack. Use the message "
            "shortcut *Send to ticket as internal note* to send one."
        )
    return fallback(text), [section(text)]


# Why the bot cannot use a channel (integrations.slack_channels' reasons), for the person who
# asked to route tickets there or to sync its replies.
_REFUSALS = {
    "not_visible": "I cannot see <#{c}>. If it is a private channel, invite me first "
    "(`/invite @supportbot` in it), then try again.",
    "archived": "<#{c}> is archived: pick a channel people use.",
    "not_a_channel": "That is a direct message, not a channel: pick a channel.",
    "cannot_join": "I am not in <#{c}> and may not join it by myself: invite me "
    "(`/invite @supportbot` in it), then try again.",
    "unreachable": "I could not ask Slack whether I am in <#{c}>: try again in a minute.",
    "no_scope": "I may not look at <#{c}>: the app lacks a permission; an admin can "
    "reinstall it from app_manifest.yml.",
}


def channel_refusal(channel: str, reason: str) -> str:
    """Why the bot cannot work in `channel` and what to do (nothing was saved)."""
    return _REFUSALS.get(reason, _REFUSALS["unreachable"]).format(c=channel) + " Nothing changed."


def joined(channel: str) -> Block:
    """A note that the bot joined a public channel so it hears the replies there."""
    return context(f":wave: I joined <#{channel}> so I hear the replies in its ticket threads.")
