"""/support bugs: Jira bugs by support load, per-component load, and one bug's tickets."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.bugs import load as bug_load
from bot.bugs.records import KEY_PATTERN
from bot.bugs.render import load as render
from bot.db import reading
from bot.errors import UserError
from bot.render.blocks import escape
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand

USAGE = "bugs [<KEY> | component <name>]"
SUMMARY = "Jira bugs ranked by linked tickets, per-component load, or one bug's tickets"
DETAILS = (
    "`/support bugs` ranks the Jira bugs that tickets are linked to by their open linked "
    "tickets, then all linked tickets, with status, components, age and when a ticket was last "
    "linked, then the load per Jira component. A ticket counts as open until it is solved or "
    "closed; unlinked tickets do not count.\n"
    "`/support bugs SUP-12` lists the tickets linked to that bug, open first, with who linked "
    "each and a link to its thread. `/support bugs component Billing` ranks that component's "
    "bugs only. Only you see the answer.\n"
    'Examples: `/support bugs`, `/support bugs SUP-12`, `/support bugs component "Web app"`.'
)
TOP = 10
TICKETS_SHOWN = 30

Answer = tuple[str, list[dict[str, Any]]]


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add the subcommand."""
    registry.add(Subcommand("bugs", USAGE, SUMMARY, lambda inv: _bugs(deps, inv), details=DETAILS))


def _bugs(deps: Deps, inv: Invocation) -> Answer:
    args = inv.args
    now = deps.clock()
    if not args:
        with reading(deps.factory) as session:
            return render.overview(bug_load.overview(session, now, limit=TOP), now)
    if args[0].lower() == "component":
        name = " ".join(args[1:]).strip()
        if not name:
            raise UserError("say which component, e.g. `/support bugs component Billing`.")
        with reading(deps.factory) as session:
            view = bug_load.overview(session, now, limit=TOP, component=name)
            return render.overview(view, now, component=name)
    key = args[0].strip().upper()
    if len(args) > 1 or not KEY_PATTERN.match(key):
        shown = escape(" ".join(args)[:40])
        raise UserError(f"`{shown}` is not a Jira issue key like SUP-123.")
    with reading(deps.factory) as session:
        found = bug_load.tickets_of(session, key, limit=TICKETS_SHOWN)
        if found is None:
            return render.unknown_bug(key)
        bug, linked = found
        open_tickets, total = bug_load.link_counts(session, bug)
        return render.bug_tickets(bug, linked, now, open_tickets=open_tickets, total_tickets=total)
