"""/support sla: the SLA policy (leads)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.db import transaction
from bot.errors import UserError
from bot.render.blocks import escape
from bot.sla import policy as sla_policy
from bot.sla import render
from handlers.deps import Deps
from handlers.slack.subcommands import Invocation, Registry, Subcommand

USAGE = (
    "sla [show] | set <priority> first-response <duration> resolution <duration> "
    "[at-risk <percent>] | reset <priority>"
)
DETAILS = (
    "Targets are calendar time from when a ticket opens, per priority (urgent, high, normal, "
    "low; tickets without a priority count as normal). A ticket is *at risk* once the at-risk "
    "share of a target's time has passed (75% unless set) and *breached* at the target; each "
    "threshold gets one reply in the ticket's thread mentioning the assignee, or whoever is on "
    "shift when nobody is assigned.\n"
    "Durations are like `30m`, `4h`, `2d` or `1h30m`; give either target or both (the other "
    "stays as it is); the resolution target cannot be shorter than the first response. "
    "Changes apply at once to that priority's open tickets.\n"
    "Examples: `/support sla set high first-response 4h resolution 1d`, "
    "`/support sla set urgent first-response 30m at-risk 50`, `/support sla reset high`."
)


def register(app: App, deps: Deps, registry: Registry) -> None:
    """Add the subcommand."""
    registry.add(
        Subcommand(
            "sla",
            USAGE,
            "show or set first-response and resolution targets per priority",
            lambda inv: _sla(deps, inv),
            leads_only=True,
            details=DETAILS,
        )
    )


def _sla(deps: Deps, inv: Invocation) -> tuple[str, list[dict[str, Any]]]:
    action = inv.args[0].lower() if inv.args else "show"
    with transaction(deps.factory) as session:
        if action in ("show", "list"):
            if len(inv.args) > 1:
                raise UserError("`sla show` takes nothing after it.")
            return render.policy_table(sla_policy.table(session))
        if action == "set":
            change = sla_policy.parse_set(inv.args[1:])
            count = sla_policy.set_policy(session, change, actor=inv.user_id, now=deps.clock())
            return render.policy_set(sla_policy.row_of(session, change.priority), count)
        if action == "reset":
            if len(inv.args) != 2:
                raise UserError("say which priority to reset, e.g. `sla reset high`.")
            priority = sla_policy.parse_priority(inv.args[1])
            was_set, count = sla_policy.reset_policy(session, priority)
            row = sla_policy.row_of(session, priority)
            return render.policy_reset(row, count, was_set=was_set)
    raise UserError(f"`{escape(action[:20])}` is not an sla action: use show, set or reset.")
