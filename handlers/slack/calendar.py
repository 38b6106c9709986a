"""`/support calendar [reset | <rotation>]`: private links to shifts as an iCalendar feed."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.db import transaction
from bot.errors import UserError
from bot.rotations import calendar, lifecycle
from bot.rotations.render import rosters
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand

Answer = tuple[str, list[dict[str, Any]]]
DETAILS = (
    "Without an argument: a private link to your shifts in every rotation, to subscribe to "
    "from Google Calendar (Other calendars → From URL), Outlook (Add calendar → Subscribe "
    "from web) or Apple Calendar (New Calendar Subscription). It follows swaps and covers. "
    "Anyone with the link sees your shifts: `calendar reset` revokes every link you were "
    "given. Leads can subscribe to a whole rotation with `calendar <rotation>`."
)


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add `/support calendar`."""
    registry.add(
        Subcommand(
            "calendar",
            "calendar [reset | <rotation>]",
            "your shifts in your own calendar (a private subscription link)",
            lambda inv: _calendar(deps, inv),
            details=DETAILS,
        )
    )


def _calendar(deps: Deps, inv: Invocation) -> Answer:
    if len(inv.args) > 1:
        raise UserError("give at most one word: `reset` or a rotation's name")
    word = inv.args[0] if inv.args else None
    now = deps.clock()
    if word is not None and word.lower() == "reset":
        with transaction(deps.factory) as session:
            count = calendar.revoke(session, inv.user_id, now)
        return rosters.calendar_revoked(count)
    base = deps.settings.public_url
    if not base:
        raise UserError(
            "calendar links need the address people reach this app at: ask an admin to set "
            "PUBLIC_URL"
        )
    with transaction(deps.factory) as session:
        if word is None:
            token = calendar.issue(session, inv.user_id, now)
            return rosters.calendar_link(f"{base}/calendar/{token}.ics", None)
        rotation = lifecycle.get(session, word)
        token = calendar.issue_for_rotation(
            session, inv.user_id, rotation, now, deps.settings.support_leads
        )
        return rosters.calendar_link(f"{base}/calendar/{token}.ics", rotation.name)
