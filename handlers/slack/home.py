"""App Home interactions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.db import transaction
from bot.events import home_config
from bot.ids import Action
from bot.insights import home
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """The Home tab's Refresh button."""
    config = home_config(deps.settings)

    @app.action(Action.HOME_REFRESH)
    def refresh(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = body["user"]["id"]
        action_ts = body["actions"][0].get("action_ts", "")
        with transaction(deps.factory) as session:
            home.request_home(session, user_id, deps.clock(), config, reason=f"refresh:{action_ts}")
        deps.wake_outbox()
