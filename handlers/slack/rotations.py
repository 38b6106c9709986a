"""`/support rotation …` (leads) and the rotation modal; registers the shift listeners too."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from bot import people
from bot.db import transaction
from bot.errors import UserError
from bot.ids import RotationField as F
from bot.ids import View
from bot.rotations import lifecycle
from bot.rotations.config import RotationSpec, spec_of
from bot.rotations.models import Rotation
from bot.rotations.render import rosters
from bot.rotations.render.form import field_errors, rotation_form
from handlers.deps import Deps
from handlers.slack import shifts
from handlers.slack.rotation_form import read_form
from handlers.slack.subcommands import Invocation, Registry, Subcommand

Answer = tuple[str, list[dict[str, Any]]]
USAGE = "rotation list | create | edit <name> | pause <name> | resume <name> | archive <name>"
DETAILS = (
    "`create` and `edit` open a form: name, channel, time zone, days and start time (or an "
    "RRULE), shift length, people per shift, teams and people, reminders, check-in window, "
    "leads, the product areas whose questions go to whoever is on shift, and a user group "
    "and channel topic kept on whoever is on. `pause` and `archive` cancel the shifts not "
    "started yet; `resume` plans them "
    "again. Rotations can also be kept in a YAML file: `supportbot rotations apply FILE`."
)


def register(app: App, deps: Deps, registry: Registry) -> None:
    """`/support rotation`, the modal's submission, and the shift commands and buttons."""
    registry.add(
        Subcommand(
            "rotation",
            USAGE,
            "create and manage support rotations",
            lambda inv: _rotation(deps, inv),
            leads_only=True,
            details=DETAILS,
        )
    )

    @app.view(View.ROTATION_FORM)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        rotation_id = meta.get("rotation_id")
        values = (view.get("state") or {}).get("values") or {}
        with transaction(deps.factory) as session:
            if not people.is_lead(session, deps.settings.support_leads, user_id):
                ack(response_action="errors", errors={F.NAME: "Only support leads can do this."})
                return
            current = session.get(Rotation, rotation_id) if rotation_id else None
            base = spec_of(current) if current else RotationSpec(name="", channel="")
            spec, errors = read_form(values, base)
            if not errors:
                _, problems = lifecycle.save(
                    session,
                    spec,
                    rotation_id=rotation_id,
                    actor=user_id,
                    now=deps.clock(),
                    default_leads=deps.settings.support_leads,
                )
                errors = field_errors(problems)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        deps.wake_outbox()

    shifts.register(app, deps, registry)


def _rotation(deps: Deps, inv: Invocation) -> Answer:
    action = inv.args[0].lower() if inv.args else "list"
    name = inv.args[1] if len(inv.args) > 1 else None
    if action == "create":
        channel = inv.channel_id if inv.channel_id[:1] in ("C", "G") else None
        view = rotation_form(
            None,
            rotation_id=None,
            default_channel=channel,
            default_timezone=deps.settings.timezone,
            team_refs=[],
            lead_groups=[],
        )
        return _open(inv, view, "a new rotation")
    if action in ("edit", "pause", "resume", "archive") and not name:
        raise UserError(f"say which rotation to {action}")
    now = deps.clock()
    with transaction(deps.factory) as session:
        if action == "list":
            return rosters.rotation_list(lifecycle.listing(session, archived=True))
        rotation = lifecycle.get(session, str(name))
        if action == "edit":
            teams, groups, group = lifecycle.form_refs(session, rotation)
            view = rotation_form(
                spec_of(rotation),
                rotation_id=rotation.id,
                default_channel=None,
                default_timezone=deps.settings.timezone,
                team_refs=teams,
                lead_groups=groups,
                usergroup_ref=group,
            )
        elif action in ("pause", "resume", "archive"):
            status = {"pause": "paused", "resume": "active", "archive": "archived"}[action]
            count = lifecycle.set_status(
                session,
                rotation,
                status,
                actor=inv.user_id,
                now=now,
                default_leads=deps.settings.support_leads,
            )
            answer = rosters.status_changed(rotation, count)
        else:
            raise UserError(f"`{action[:20]}` is not a rotation action")
    if action == "edit":
        return _open(inv, view, rotation.name)
    deps.wake_outbox()
    return answer


def _open(inv: Invocation, view: dict[str, Any], what: str) -> Answer:
    """Ask for the modal: it opens right after the ack, with the command's trigger_id."""
    inv.modal = view
    return f":pencil: Opening the form for {what}…", []
