"""`/support queue` and the queue part of a lead's App Home: pure Block Kit."""

from __future__ import annotations

from datetime import datetime

from bot.insights.queue import Queue, QueueTicket
from bot.render.blocks import (
    Block,
    context,
    cut,
    divider,
    escape,
    fallback,
    fit_blocks,
    header,
    link,
    section,
)
from bot.render.times import relative, slack_time
from bot.rotations.roster import OnShift

LEVEL_ICON = {"breached": ":rotating_light:", "at_risk": ":warning:", "ok": ":white_circle:"}
METRIC_NAME = {"first_response": "first response", "resolution": "resolution"}
SUBJECT = 80


def ticket_ref(item: QueueTicket) -> str:
    """`#123 Checkout fails` linked to the ticket's thread (or the helpdesk when unposted)."""
    ticket = item.ticket
    label = escape(cut(f"#{ticket.external_id} {ticket.subject or '(no subject)'}", SUBJECT))
    url = item.link or ticket.url
    return link(url, label)


def risk_line(item: QueueTicket, now: datetime) -> str:
    """One SLA risk: icon, ticket, which target, when due, priority and assignee."""
    ticket, standing = item.ticket, item.sla
    metric = (
        "first_response" if standing.first_response in ("breached", "at_risk") else "resolution"
    )
    level = standing.first_response if metric == "first_response" else standing.resolution
    due = f" due {relative(item.due_at, now)}" if item.due_at else ""
    who = escape(ticket.assignee) if ticket.assignee else "_unassigned_"
    priority = escape(ticket.priority or "no priority")
    return (
        f"{LEVEL_ICON.get(level or 'ok', '')} {ticket_ref(item)} — {METRIC_NAME[metric]}{due}"
        f" · {priority} · {who}"
    )


def _counts(counts: dict[str, int]) -> str:
    return " · ".join(f"{escape(name)} *{n}*" for name, n in counts.items()) or "none"


def shift_lines(shifts: list[OnShift], now: datetime) -> str:
    """`chat-support: now @a; next @b in 3h` per rotation."""
    lines = []
    for item in shifts:
        on = ", ".join(f"<@{u}>" for u in item.on_now) or "nobody"
        line = f"*{escape(item.rotation.name)}*: now {on}"
        if item.next is not None:
            nxt = ", ".join(f"<@{u}>" for u in item.on_next) or "unfilled"
            line += f"; next {nxt} {relative(item.next.shift.starts_at, now)}"
        lines.append(line)
    return "\n".join(lines)


def queue_blocks(queue: Queue, now: datetime, *, risks: bool = True) -> list[Block]:
    """The queue's blocks (without a header), shared by the command and the App Home."""
    blocks: list[Block] = [
        section(
            f"*{queue.open}* open · *{queue.unassigned}* unassigned · "
            f"*{queue.breached}* breaching SLA · *{queue.at_risk}* at risk",
            fields=[
                f"*By status*\n{_counts(queue.by_status)}",
                f"*By priority*\n{_counts(queue.by_priority)}",
            ],
        )
    ]
    if queue.oldest is not None:
        opened = queue.oldest.ticket.opened_at or queue.oldest.ticket.first_seen_at
        blocks.append(
            section(
                f"*Oldest waiting:* {ticket_ref(queue.oldest)} — opened {relative(opened, now)}"
            )
        )
    if risks and queue.risks:
        more = queue.breached + queue.at_risk - len(queue.risks)
        lines = [risk_line(item, now) for item in queue.risks]
        if more > 0:
            lines.append(f"_…and {more} more_")
        blocks.append(section("*SLA breaches and risks*\n" + "\n".join(lines)))
    if queue.shifts:
        blocks.append(section("*On shift*\n" + shift_lines(queue.shifts, now)))
    if queue.by_channel and not queue.filter.channel:
        per = [
            f"<#{c}> *{n}*" if c.startswith(("C", "G")) else f"{escape(c)} *{n}*"
            for c, n in list(queue.by_channel.items())[:15]
        ]
        blocks.append(section("*Open per channel*\n" + " · ".join(per)))
    return blocks


def render_queue(queue: Queue, now: datetime) -> tuple[str, list[Block]]:
    """(fallback text, blocks) answering `/support queue`."""
    scope = queue.filter.describe()
    title = "Support queue" + (f" ({scope})" if scope else "")
    blocks = [header(title), *queue_blocks(queue, now), divider()]
    blocks.append(
        context(
            f"As of {slack_time(now)}. Filter with a #channel, `group:<name>` or "
            "`priority:<level>`; add `public` to post it in the channel."
        )
    )
    text = (
        f"{escape(title)}: {queue.open} open, {queue.unassigned} unassigned, "
        f"{queue.breached} breaching SLA, {queue.at_risk} at risk"
    )
    return fallback(text), fit_blocks(blocks)
