"""Build the Bolt app and register every listener module."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.deps import Deps, Listening
from handlers.slack import (
    bug_views,
    bugs,
    calendar,
    commands,
    customers,
    engineers,
    errors,
    events,
    handoffs,
    home,
    patterns,
    people,
    queue,
    reports,
    rotations,
    sla,
    tickets,
)
from handlers.slack.followups import Followups
from handlers.slack.subcommands import Registry
from integrations.jira import JiraClient


class _QuietTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client takes precedence: expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _ids(constraints: Any, *keys: str) -> set[str]:
    """The ids a Bolt constraint names: a string, a pattern, or a dict of either."""
    if isinstance(constraints, dict):
        return {i for k in keys if k in constraints for i in _ids(constraints[k])}
    if isinstance(constraints, re.Pattern):
        return {constraints.pattern}
    return {str(constraints)} if constraints is not None else set()


class RecordingApp(App):
    """A Bolt app that notes what each listener is registered for, so the manifest can be
    checked against exactly what Bolt dispatches."""

    listening: Listening

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self.listening.commands.update(_ids(command))
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.listening.events.update(_ids(event, "type"))
        return super().event(event, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.listening.shortcuts.update(_ids(constraints, "callback_id"))
        return super().shortcut(constraints, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.listening.actions.update(_ids(constraints, "action_id", "callback_id"))
        return super().action(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.listening.views.update(_ids(constraints, "callback_id"))
        return super().view(constraints, *args, **kwargs)

    def options(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.listening.options.update(_ids(constraints, "action_id", "callback_id"))
        return super().options(constraints, *args, **kwargs)


def build_bolt_app(
    deps: Deps,
    client: WebClient,
    *,
    followups: Followups | None = None,
    jira_search: JiraClient | None = None,
) -> App:
    """A Bolt app that answers within Slack's 3 seconds and keeps work off the request path.

    `process_before_response=True` makes the HTTP answer wait for the listener, so an event
    is stored before Slack sees the 200; listeners do only database work before acking, and
    what needs the network after the ack runs on `followups` (see handlers.slack.followups).
    `jira_search` is the Jira client behind the Link modal's issue search, if Jira is set up.
    The web route checks every HTTP request's signature against the app's clock before Bolt
    sees it (handlers/web.py), as the webhooks do, so Bolt does not check it again on the
    process's own clock; Socket Mode requests carry no signature.
    """
    logger = logging.getLogger("supportbot.bolt")
    if not any(isinstance(f, _QuietTokenNotice) for f in logger.filters):
        logger.addFilter(_QuietTokenNotice())
    app = RecordingApp(
        client=client,
        signing_secret=deps.settings.secret("slack_signing_secret") or "unset",
        process_before_response=True,
        token_verification_enabled=False,
        # handlers/web.py verifies every signature before dispatch (and may hand Bolt a body
        # re-encoded for Bolt's parser); Socket Mode requests carry none.
        request_verification_enabled=False,
        logger=logger,
        listener_executor=followups or Followups(),
        # A request no listener matches goes to our error handler (one line, 404) instead of
        # Bolt's warning, which would log the whole body.
        raise_error_for_unhandled_request=True,
    )
    app.listening = deps.listening
    registry = Registry()
    errors.register(app)
    commands.register(app, deps, registry)
    events.register(app, deps)
    home.register(app, deps)
    tickets.register(app, deps, registry)
    people.register(app, deps, registry)
    rotations.register(app, deps, registry)
    calendar.register(app, deps, registry)
    bugs.register(app, deps, jira_search)
    engineers.register(app, deps)
    customers.register(app, deps)
    handoffs.register(app, deps)
    queue.register(app, deps, registry)
    bug_views.register(app, deps, registry)
    reports.register(app, deps, registry)
    patterns.register(app, deps, registry)
    sla.register(app, deps, registry)
    app.supportbot_registry = registry  # type: ignore[attr-defined]
    return app
