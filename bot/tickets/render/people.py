"""Answers of `/support people`: which Slack member each helpdesk agent is, and how we know."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.blocks import (
    SECTION_TEXT,
    Block,
    context,
    escape,
    fallback,
    fit_blocks,
    header,
    section,
)
from bot.tickets.agents import AgentRow

HOW = {
    "email": "_by email_",
    "lead": "_set by a lead_",
    "name": "_by name_",
    "missing": "_nobody: Slack knows no member with this email_",
    "asking": "_asking Slack…_",
}


def _line(row: AgentRow) -> str:
    name = f" ({escape(row.name)})" if row.name else ""
    who = f"<@{row.slack_user_id}> " if row.slack_user_id else ""
    return f"• `{escape(row.email)}`{name} → {who}{HOW.get(row.how, '')}"


def agent_list(rows: Sequence[AgentRow]) -> tuple[str, list[Block]]:
    """Every helpdesk agent with the Slack member their tickets' mentions and DMs go to."""
    blocks: list[Block] = [header("Helpdesk agents in Slack")]
    if not rows:
        blocks.append(section("_No helpdesk has named an agent yet._"))
    chunk: list[str] = []
    for line in map(_line, rows):
        if chunk and len("\n".join([*chunk, line])) > SECTION_TEXT - 50:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    blocks.append(
        context(
            "Found by email first, then by exact name. Fix one with "
            "`/support people map <agent email> @person`; `/support people unmap <agent email>` "
            "goes back to the email lookup."
        )
    )
    return fallback(f"{len(rows)} helpdesk agent(s)"), fit_blocks(blocks)


def agent_mapped(email: str, user_id: str) -> tuple[str, list[Block]]:
    """Confirmation of a lead's mapping."""
    text = (
        f":white_check_mark: The helpdesk agent `{escape(email)}` is <@{user_id}> now: "
        "their tickets' mentions, bug DMs and App Home go to them."
    )
    return fallback(f"{email} is mapped"), [section(text)]


def agent_unmapped(email: str) -> tuple[str, list[Block]]:
    """Confirmation that a lead's mapping was removed."""
    text = f"Forgot who `{escape(email)}` is: I am asking Slack by email again."
    return fallback(f"{email} is unmapped"), [section(text)]
