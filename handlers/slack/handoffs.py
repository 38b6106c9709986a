"""Hand off: the button in the last 30 minutes of a shift (DM or App Home) opens a modal for a
note to the next person; submitting it keeps the note for the hand-off at the end of the shift.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.db import reading, transaction
from bot.errors import UserError
from bot.ids import Action, View
from bot.ids import QuestionField as F
from bot.insights import home
from bot.rotations import handoffs
from bot.rotations.render import handoffs as forms
from bot.rotations.seats import user_tz
from handlers.deps import Deps
from handlers.slack.followups import ack_then


def register(app: App, deps: Deps) -> None:
    """The Hand off button and the note modal."""
    app.action(Action.HANDOFF_OPEN)(**ack_then(_opener(deps)))
    app.view(View.HANDOFF_FORM)(_submit(deps))


def _tell(deps: Deps, body: dict[str, Any], respond: Respond, text: str) -> None:
    """Answer a click: by response_url from a DM, by DM from the App Home (which has none)."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    key = f"{body['user']['id']}:{body['actions'][0].get('action_ts', '')}"
    with transaction(deps.factory) as session:
        home.answer_in_home(session, body["user"]["id"], text, deps.clock(), key)
    deps.wake_outbox()


def _opener(deps: Deps) -> Any:
    def open_form(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: open the note modal with the trigger_id, or say why not."""
        user_id = body["user"]["id"]
        value = str(body["actions"][0].get("value") or "")
        now = deps.clock()
        try:
            if not value.isdigit():
                raise UserError("That button is out of date.")
            with reading(deps.factory) as session:
                seat, _, rotation = handoffs.seat_to_hand_off(session, int(value), user_id, now)
                note = handoffs.note_of(session, seat.shift_id, user_id)
                tz = user_tz(session, user_id, rotation.timezone)
                view = forms.note_form(rotation, seat, tz, note)
        except UserError as err:
            _tell(deps, body, respond, f":warning: {err.message}")
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return open_form


def _submit(deps: Deps) -> Any:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        note = str(
            ((values.get(F.HANDOFF_NOTE) or {}).get(F.HANDOFF_NOTE) or {}).get("value") or ""
        )
        user_id = body["user"]["id"]
        now = deps.clock()
        try:
            with transaction(deps.factory) as session:
                text = handoffs.save_note(session, int(meta.get("seat") or 0), user_id, note, now)
                home.answer_in_home(session, user_id, text, now, f"handoff:{view['id']}")
        except UserError as err:
            ack(response_action="errors", errors={F.HANDOFF_NOTE: err.message})
            return
        ack()
        deps.wake_outbox()

    return submit
