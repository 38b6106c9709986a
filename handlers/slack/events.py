"""Events API listeners: store the event (deduplicated by event_id) and return at once."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot import inbox
from bot.ids import Event
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Store every subscribed event in the inbox; processing happens off the request path."""

    def store(body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        event_id = body.get("event_id") or f"{event.get('type')}:{event.get('event_ts')}"
        new = inbox.store_now(
            deps.factory,
            source="slack",
            external_id=str(event_id),
            event_type=str(event.get("type", "unknown")),
            payload=body,
            now=deps.clock(),
            sender=deps.instance,
        )
        deps.metrics.webhook("slack", "stored" if new else "duplicate")
        deps.wake_inbox()

    app.event(Event.APP_HOME_OPENED)(store)

    def thread_reply(body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        # Only people's replies in threads can become ticket notes: keep the rest out.
        if (
            event.get("thread_ts")
            and event.get("thread_ts") != event.get("ts")
            and not (event.get("subtype") or event.get("bot_id"))
        ):
            store(body)

    app.event(Event.MESSAGE)(thread_reply)
