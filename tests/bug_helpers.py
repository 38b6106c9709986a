"""Helpers for the Jira bug tests: ticket threads, the bug modals, and the Jira jobs."""

from __future__ import annotations

import json
from typing import Any

from bot.events import bug_config
from scheduling.sweeps import jira_poll

SUPPORT = "C0SUPPORT"


def text_of(message: dict[str, Any]) -> str:
    """A message's text and blocks, for `in` checks."""
    return message["text"] + json.dumps(message.get("blocks") or [])


def ticket_thread(app: Any, subject: str = "Checkout fails") -> tuple[dict, dict]:
    """A Zendesk ticket and the root message of its thread."""
    z = app.zendesk
    customer = z.add_user("Carla Customer", email="carla@globex.test")
    ticket = z.create_ticket(subject, "Card declined at checkout", requester_id=customer["id"])
    app.settle()
    root = next(m for m in app.slack.messages(SUPPORT) if subject in m["text"])
    return ticket, root


def replies(app: Any, root: dict[str, Any]) -> list[dict[str, Any]]:
    """The replies in a ticket's thread."""
    return app.slack.replies(SUPPORT, root["ts"])


def refresh_meta(app: Any) -> dict[str, Any]:
    """Run the hourly Jira metadata job once."""
    runtime = app.runtime
    return jira_poll.refresh_meta(
        runtime.factory, runtime.clients, bug_config(runtime.settings), app.clock.now()
    )


def poll(app: Any, **kwargs: Any) -> dict[str, Any]:
    """Run the Jira status poll once."""
    runtime = app.runtime
    return jira_poll.poll(
        runtime.factory, runtime.clients, bug_config(runtime.settings), app.clock.now(), **kwargs
    )


def initial_values(view: dict[str, Any]) -> dict[str, Any]:
    """What a modal's inputs hold when opened (the driver submits only what it is given)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        if "initial_value" in element:
            values[block["block_id"]] = element["initial_value"]
        elif "initial_option" in element:
            values[block["block_id"]] = element["initial_option"]["value"]
        elif "initial_options" in element:
            values[block["block_id"]] = [o["value"] for o in element["initial_options"]]
    return values


def open_file_form(app: Any, root: dict[str, Any], user: str = "U0AGENT") -> Any:
    """Click File bug on the ticket's root message."""
    return app.driver.block_action(user, "bug_file", message=root, channel_id=SUPPORT)


def submit(app: Any, view: dict[str, Any], user: str = "U0AGENT", **changes: Any) -> Any:
    """Submit a modal as opened, with `changes` (block id -> value) applied."""
    values = {**initial_values(view), **changes}
    return app.driver.view_submission(user, view, values)


def file_bug(app: Any, root: dict[str, Any], user: str = "U0AGENT", **changes: Any) -> Any:
    """Open the File bug modal from the root message and submit it."""
    opened = open_file_form(app, root, user)
    assert opened.view is not None, opened.ephemeral
    return submit(app, opened.view, user, **changes)


def link_ticket(app: Any, root: dict[str, Any], key: str, user: str = "U0AGENT") -> Any:
    """Link the ticket of `root` to issue `key` through the Link to bug shortcut and search."""
    opened = app.driver.message_shortcut("link_bug", user_id=user, channel_id=SUPPORT, message=root)
    assert opened.view is not None, opened.ephemeral
    options = app.driver.options("bug_search", key, user_id=user, view=opened.view).options
    option = next(o for o in options if o["value"] == key)
    answer = app.driver.view_submission(user, opened.view, {"bug_pick": {"bug_search": option}})
    app.settle()
    return answer


def bug_replies(app: Any, root: dict[str, Any], phrase: str) -> list[dict[str, Any]]:
    """Thread replies whose text contains `phrase`."""
    return [m for m in replies(app, root) if phrase in m["text"]]


def notes(app: Any, ticket: dict[str, Any]) -> list[str]:
    """The internal notes on a Zendesk ticket."""
    return [c["body"] for c in app.zendesk.comments[ticket["id"]] if not c["public"]]
