"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot.ids import Action
from bot.render.blocks import (
    SURFACE_BLOCKS,
    actions,
    button,
    context,
    divider,
    fit_blocks,
    header,
    section,
)


def render_home(user_id: str, *, generated_at: str) -> dict[str, Any]:
    """The Home tab view for one user."""
    blocks = [
        header("supportbot"),
        section(
            f"Hi <@{user_id}>. supportbot mirrors customer tickets into Slack threads, runs "
            "support rotations, files bugs into Jira from ticket threads, and tells agents "
            "when their bugs are fixed."
        ),
        divider(),
        section("Type `/support help` in any channel to see what you can do."),
        actions(button("Refresh", Action.HOME_REFRESH)),
        context(f"Updated {generated_at}"),
    ]
    return {"type": "home", "blocks": fit_blocks(blocks, SURFACE_BLOCKS)}
