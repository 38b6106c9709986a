"""The hand-off at the end of a shift: the next person's DM and the channel's short post."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.render.blocks import (
    Block,
    Message,
    context,
    cut,
    escape,
    fallback,
    fit_blocks,
    header,
    link,
    section,
)
from bot.render.times import slack_time
from bot.tickets.render.thread import STATUS_ICONS

if TYPE_CHECKING:
    from bot.insights.handoffs import Handoff, TicketWork

SLA = {
    "breached": ":red_circle: SLA breached",
    "at_risk": ":large_orange_circle: SLA at risk",
    "ok": "SLA on track",
}


def _people(users: Sequence[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users if u) or "nobody"


def _when(handoff: Handoff) -> str:
    shift = handoff.shift
    return f"{slack_time(shift.starts_at, '{time}')}–{slack_time(shift.ends_at, '{time}')}"


def _ticket_line(work: TicketWork) -> str:
    ticket = work.ticket
    name = escape(f"#{ticket.external_id} {cut(ticket.subject or '', 80)}")
    shown = link(work.link, name)
    state = f"{STATUS_ICONS.get(ticket.status, '')} {escape(ticket.status)}".strip()
    if work.sla in SLA:
        state += f", {SLA[work.sla]}"
    return f"• {shown} — {state}"


def _counts(handoff: Handoff) -> str:
    still = [w for w in handoff.tickets if w.sla != "closed"]
    risky = [w for w in still if w.sla in ("breached", "at_risk")]
    parts = [
        f"{len(handoff.tickets)} ticket{'s' if len(handoff.tickets) != 1 else ''} worked on "
        f"({len(still)} still open{f', {len(risky)} at risk or breached' if risky else ''})",
        f"{len(handoff.bugs)} bug{'s' if len(handoff.bugs) != 1 else ''} filed",
        f"{len(handoff.waiting)} question{'s' if len(handoff.waiting) != 1 else ''} waiting "
        "for an engineer",
    ]
    if handoff.notes:
        parts.append("a note left" if len(handoff.notes) == 1 else f"{len(handoff.notes)} notes")
    return ", ".join(parts)


def for_next(handoff: Handoff, *, listed: int) -> Message:
    """The DM to someone on the next shift."""
    rotation = escape(handoff.rotation.name)
    blocks: list[Block] = [header(f"Hand-off: {cut(handoff.rotation.name, 120)}")]
    if handoff.outgoing:
        head = (
            f":arrows_counterclockwise: {_people(handoff.outgoing)} handed *{rotation}* "
            f"({_when(handoff)}) over to you"
        )
    else:
        missed = f" ({_people(handoff.absent)} did not check in)" if handoff.absent else ""
        head = f":warning: Nobody attended the last *{rotation}* shift ({_when(handoff)}){missed}"
    if handoff.next_shift is not None:
        head += f"; yours starts {slack_time(handoff.next_shift.starts_at)}."
    blocks.append(section(head))
    for note in handoff.notes:
        quoted = ">" + escape(cut(note.note, 2500)).replace("\n", "\n>")
        blocks.append(section(f"*Note from <@{note.user_id}>*\n{quoted}"))
    if handoff.outgoing:
        lines = [_ticket_line(w) for w in handoff.tickets[:listed]]
        more = len(handoff.tickets) - listed
        if more > 0:
            lines.append(f"_and {more} more_")
        body = "\n".join(lines) or "_no ticket worked on in Slack_"
        blocks.append(section(f"*Tickets worked on during the shift*\n{body}"))
        bugs = [
            f"• {link(b.url, escape(b.key))} {escape(cut(b.summary, 100))}"
            if b.url
            else f"• {escape(b.key)} {escape(cut(b.summary, 100))}"
            for b in handoff.bugs[:listed]
        ]
        blocks.append(section("*Bugs filed*\n" + ("\n".join(bugs) or "_none_")))
    waiting = []
    for question, permalink in handoff.waiting[:listed]:
        what = escape(cut(question.text, 120))
        where = f" ({link(permalink, 'thread')})" if permalink else ""
        waiting.append(
            f"• *{escape(question.area)}*, asked {slack_time(question.asked_at)} by "
            f"<@{question.asked_by}>: {what}{where}"
        )
    blocks.append(
        section("*Questions still waiting for an engineer*\n" + ("\n".join(waiting) or "_none_"))
    )
    blocks.append(context("Times are in your time zone. `/support shifts me` lists your shifts."))
    text = (
        f"Hand-off of {handoff.rotation.name}: {_counts(handoff)}"
        if handoff.outgoing
        else f"Nobody attended the last {handoff.rotation.name} shift"
    )
    return fallback(escape(text)), fit_blocks(blocks)


def summary(handoff: Handoff) -> Message:
    """The channel's short post at the end of a shift."""
    rotation = escape(handoff.rotation.name)
    after = f" → {_people(handoff.incoming)}" if handoff.incoming else ""
    if handoff.outgoing:
        line = (
            f":arrows_counterclockwise: Hand-off on *{rotation}* ({_when(handoff)}): "
            f"{_people(handoff.outgoing)}{after}. {_counts(handoff)}."
        )
    else:
        missed = f" (no-show: {_people(handoff.absent)})" if handoff.absent else ""
        line = (
            f":warning: Nobody attended the *{rotation}* shift ({_when(handoff)}){missed}"
            f"{'; next: ' + _people(handoff.incoming) if handoff.incoming else ''}."
        )
    return fallback(f"Hand-off on {handoff.rotation.name}"), [section(line)]
