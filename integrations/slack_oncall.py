"""Setting who is on shift in Slack: a user group's members and a channel's topic.

Slack refuses `usergroups.users.update` with an empty list (`no_users_provided`,
https://docs.slack.dev/reference/methods/usergroups.users.update), so when nobody is on shift
the group is disabled (`usergroups.disable`: its handle then notifies nobody) and enabled again
before the next people are set, as on-call tools that sync Slack groups do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rotations.on_shift_sync import TOPIC, Change

log = logging.getLogger("supportbot.oncall")

# Answers that mean the state is already what was asked for.
ALREADY = ("already_enabled", "already_disabled")


def apply(client: WebClient, change: Change) -> str | None:
    """Make one change in Slack; returns Slack's error code, or None when it is done."""
    try:
        if change.target == TOPIC:
            client.conversations_setTopic(channel=change.ref, topic=change.topic)
        elif change.users:
            if change.enabled is not True:
                _ignoring_already(client.usergroups_enable, usergroup=change.ref)
            client.usergroups_users_update(usergroup=change.ref, users=list(change.users))
        else:
            _ignoring_already(client.usergroups_disable, usergroup=change.ref)
    except SlackApiError as err:
        code = str(err.response.get("error") or f"http_{err.response.status_code}")
        log.warning(
            "oncall.sync_refused rotation=%s target=%s error=%s",
            change.rotation_id,
            change.target,
            code,
        )
        return code
    except OSError as err:
        log.warning("oncall.sync_unreachable target=%s error=%s", change.target, type(err).__name__)
        return "unreachable"
    return None


def _ignoring_already(method: Callable[..., Any], **kwargs: str) -> None:
    try:
        method(**kwargs)
    except SlackApiError as err:
        if err.response.get("error") not in ALREADY:
            raise
