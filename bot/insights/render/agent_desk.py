"""An agent's part of the App Home: their tickets, the bugs those wait on, and fresh fixes."""

from __future__ import annotations

from datetime import datetime

from bot.bugs.models import Bug
from bot.insights.agent_desk import AgentDesk, Fixed, Waiting
from bot.insights.queue import QueueTicket
from bot.insights.render.queue import LEVEL_ICON, METRIC_NAME, ticket_ref
from bot.render.blocks import Block, context, cut, escape, header, link, section
from bot.render.times import relative

SUMMARY = 80


def _bug_ref(bug: Bug) -> str:
    shown = escape(bug.key)
    label = link(bug.url, shown)
    return f"{label} {escape(cut(bug.summary or '', SUMMARY))}"


def _sla(item: QueueTicket, now: datetime) -> str:
    standing = item.sla
    if standing.first_response in ("breached", "at_risk"):
        metric, level = "first_response", standing.first_response
    elif standing.resolution in ("breached", "at_risk"):
        metric, level = "resolution", standing.resolution
    else:
        return f"SLA ok, due {relative(item.due_at, now)}" if item.due_at else "SLA ok"
    state = "breached" if level == "breached" else "at risk"
    due = f" (due {relative(item.due_at, now)})" if item.due_at else ""
    return f"*{METRIC_NAME[metric]} {state}*{due}"


def _ticket_line(item: QueueTicket, now: datetime) -> str:
    ticket = item.ticket
    icon = LEVEL_ICON.get(item.sla.worst, "")
    priority = escape(ticket.priority or "no priority")
    return f"{icon} {ticket_ref(item)} · {escape(ticket.status)} · {priority} · {_sla(item, now)}"


def _fixed_line(fixed: Fixed, now: datetime) -> str:
    resolution = f" ({escape(fixed.bug.resolution)})" if fixed.bug.resolution else ""
    return (
        f":white_check_mark: {_bug_ref(fixed.bug)} is done{resolution} {relative(fixed.at, now)}"
        f" → {ticket_ref(fixed.item)}: tell the customer"
    )


def _waiting_line(waiting: Waiting) -> str:
    status = escape(waiting.bug.status or "unknown status")
    tickets = ", ".join(ticket_ref(i) for i in waiting.tickets)
    return f"• {_bug_ref(waiting.bug)} — *{status}* · {tickets}"


def desk_blocks(data: AgentDesk, now: datetime) -> list[Block]:
    """The agent's sections: tickets assigned to them, bugs they wait on, fixed since."""
    blocks: list[Block] = [header("Your tickets")]
    if not data.tickets:
        blocks.append(section("No open tickets are assigned to you. :tada:"))
    else:
        lines = [_ticket_line(item, now) for item in data.tickets]
        if data.total > len(data.tickets):
            lines.append(f"_…and {data.total - len(data.tickets)} more_")
        blocks.append(section("\n".join(lines)))
    if data.fixed:
        lines = [_fixed_line(f, now) for f in data.fixed]
        blocks.append(section("*Fixed since you last looked*\n" + "\n".join(lines)))
    if data.waiting:
        lines = [_waiting_line(w) for w in data.waiting]
        blocks.append(section("*Bugs your tickets wait on*\n" + "\n".join(lines)))
    blocks.append(
        context(
            "Tickets assigned to you in the helpdesk, linked to their threads. "
            "Wrong person? A lead can fix it with `/support people map`."
        )
    )
    return blocks
