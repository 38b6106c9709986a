"""`/support queue`: the state of the queue, for the asker or the whole channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.db import reading
from bot.insights import queue
from bot.insights.render.queue import render_queue
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add `/support queue`."""

    def run(inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
        flt, inv.public = queue.parse_filter(inv.args)
        now = deps.clock()
        with reading(deps.factory) as session:
            return render_queue(queue.summary(session, now, flt), now)

    registry.add(
        Subcommand(
            "queue",
            "queue [public] [#channel] [group:<name>] [priority:<level>]",
            "open tickets by status and priority, SLA risks, who is on shift",
            run,
            details="Shows open tickets by status and priority, how many are unassigned, the "
            "oldest one waiting on us, tickets breaching or at risk of their SLA (see "
            "`/support sla`), who is on shift now and next, and open tickets per channel; each "
            "ticket links to its thread. Only you see it unless you add `public`. Examples: "
            "`/support queue priority:urgent`, `/support queue #billing-support public`, "
            "`/support queue group:Payments`.",
        )
    )
