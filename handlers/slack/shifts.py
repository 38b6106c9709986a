"""Shift commands (`shifts`, `checkin`, `swap`, `ooo`, `noshows`) and the shift buttons."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.db import transaction
from bot.errors import UserError
from bot.events import home_config
from bot.ids import Action
from bot.insights import home
from bot.rotations import attendance as shifts
from bot.rotations import lifecycle, offers, ooo, roster
from bot.rotations.render import rosters
from bot.rotations.seats import user_tz
from handlers.deps import Deps
from handlers.slack.followups import REPLY, ack_then_reply
from handlers.slack.subcommands import Invocation, Registry, Subcommand

Answer = tuple[str, list[dict[str, Any]]]
PERIOD = re.compile(r"^\d+[hdwm]$", re.I)


def register(app: App, deps: Deps, registry: Registry) -> None:
    """The shift subcommands and the Check in / Can't make it / Accept buttons."""
    for sub in _subcommands(deps):
        registry.add(sub)

    homes = home_config(deps.settings)

    def button(run: Callable[[Any, str, str], str]) -> dict[str, Any]:
        def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
            user_id = body["user"]["id"]
            value = str(body["actions"][0].get("value") or "")
            try:
                with transaction(deps.factory) as session:
                    text = run(session, user_id, value)
            except UserError as err:
                text = f":warning: {err.message}"
            if body.get("response_url"):
                context[REPLY] = text  # told by response_url right after the ack
            else:
                # Pressed in the App Home: no response_url; answer by DM and show the change.
                now, key = deps.clock(), str(body["actions"][0].get("action_ts") or "")
                with transaction(deps.factory) as session:
                    if text:
                        home.answer_in_home(session, user_id, text, now, f"{user_id}:{key}")
                    home.request_home(session, user_id, now, homes, reason=f"refresh:{key}")
            ack()
            deps.wake_outbox()

        return ack_then_reply(listener)

    leads = deps.settings.support_leads
    app.action(Action.SHIFT_CHECKIN)(
        **button(
            lambda s, u, v: shifts.check_in(s, u, deps.clock(), seat_id=_id(v), default_leads=leads)
        )
    )
    app.action(Action.SHIFT_CANT_MAKE_IT)(
        **button(lambda s, u, v: shifts.start_swap(s, u, deps.clock(), seat_id=_id(v)))
    )

    def take(session: Any, user_id: str, value: str) -> str:
        # The taker's ask message is edited into a confirmation through the outbox.
        offers.accept(session, _id(value), user_id, deps.clock(), default_leads=leads)
        return ""

    app.action(Action.SHIFT_TAKE)(**button(take))


def _id(value: str) -> int:
    if not value.isdigit():
        raise UserError("That button is out of date.")
    return int(value)


def _subcommands(deps: Deps) -> list[Subcommand]:
    return [
        Subcommand(
            "shifts",
            "shifts [me | <rotation>]",
            "who is on support now and next, your shifts, or a rotation's schedule",
            lambda inv: _shifts(deps, inv),
            details="Without an argument: every rotation's current and next shift.",
        ),
        Subcommand(
            "checkin",
            "checkin",
            "check in to your shift (its window opens 15 minutes before the start)",
            lambda inv: _checkin(deps, inv),
            details="After the window closes a check-in still counts, recorded as late.",
        ),
        Subcommand(
            "swap",
            "swap [<shift #> | next]",
            "offer your shift to colleagues who are free",
            lambda inv: _swap(deps, inv),
            details="`/support shifts me` lists your shifts with their numbers. You stay on "
            "the shift until someone accepts; your leads hear if nobody does in time.",
        ),
        Subcommand(
            "ooo",
            "ooo add <from> <to> [note] | list | remove <#>",
            "record time out of office; your shifts then go to others",
            lambda inv: _ooo(deps, inv),
            details="Dates are YYYY-MM-DD, both days included, in your Slack time zone. "
            "Example: `/support ooo add 2026-12-21 2027-01-01 holidays`.",
        ),
        Subcommand(
            "noshows",
            "noshows [<rotation>] [<period>]",
            "no-shows and late check-ins per person and team, with rates",
            lambda inv: _noshows(deps, inv),
            details="The period is like 7d, 4w or 3m (default 30d).",
        ),
    ]


def _tz(session: Any, deps: Deps, user_id: str) -> str:
    return user_tz(session, user_id, deps.settings.timezone)


def _shifts(deps: Deps, inv: Invocation) -> Answer:
    now = deps.clock()
    with transaction(deps.factory) as session:
        if not inv.args:
            return rosters.overview(roster.on_shift(session, now))
        if inv.args[0].lower() == "me":
            seats = roster.my_seats(session, inv.user_id, now)
            return rosters.my_shifts(seats, _tz(session, deps, inv.user_id), now)
        rotation = lifecycle.get(session, inv.args[0])
        return rosters.rotation_view(roster.rotation_view(session, rotation, now))


def _checkin(deps: Deps, inv: Invocation) -> Answer:
    with transaction(deps.factory) as session:
        text = shifts.check_in(
            session, inv.user_id, deps.clock(), default_leads=deps.settings.support_leads
        )
    deps.wake_outbox()
    return text, []


def _swap(deps: Deps, inv: Invocation) -> Answer:
    ref = inv.args[0] if inv.args else None
    with transaction(deps.factory) as session:
        text = shifts.start_swap(session, inv.user_id, deps.clock(), ref=ref)
    deps.wake_outbox()
    return text, []


def _ooo(deps: Deps, inv: Invocation) -> Answer:
    action = inv.args[0].lower() if inv.args else "list"
    now = deps.clock()
    with transaction(deps.factory) as session:
        if action == "list":
            return rosters.ooo_list(ooo.upcoming(session, inv.user_id, now))
        if action == "remove":
            if len(inv.args) != 2:
                raise UserError("say which entry to remove, by its number in `ooo list`")
            entry = ooo.remove(session, inv.user_id, inv.args[1])
            text = f"Removed out of office #{entry.id}."
            return text, []
        if action == "add":
            if len(inv.args) < 3:
                raise UserError("give the first and the last day, e.g. 2026-12-21 2027-01-01")
            tz = _tz(session, deps, inv.user_id)
            away = ooo.add(
                session,
                inv.user_id,
                inv.args[1],
                inv.args[2],
                now,
                tz=tz,
                note=" ".join(inv.args[3:]),
                default_leads=deps.settings.support_leads,
            )
            answer = rosters.ooo_added(away.entry, away.handed_on, away.kept, tz)
        else:
            raise UserError(f"`{action[:20]}` is not add, list or remove")
    deps.wake_outbox()
    return answer


def _noshows(deps: Deps, inv: Invocation) -> Answer:
    args = list(inv.args)
    period = args.pop() if args and PERIOD.match(args[-1]) else None
    if len(args) > 1:
        raise UserError("give at most one rotation and one period")
    now = deps.clock()
    with transaction(deps.factory) as session:
        rotation = lifecycle.get(session, args[0]) if args else None
        report = roster.report(session, now, roster.parse_period(period), rotation)
        return rosters.noshow_report(report, roster.team_names(session))
