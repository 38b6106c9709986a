"""Whether the bot can really use a channel: it must be a member to hear replies there.

`conversations.info` says `is_member` for the calling bot
(https://docs.slack.dev/reference/methods/conversations.info); a public channel the bot is not
in is joined with `conversations.join` (scope `channels:join`,
https://docs.slack.dev/reference/methods/conversations.join). A private channel the bot is not
in looks like `channel_not_found` to it: only an invitation helps. Called after the ack and
outside any transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("supportbot.channels")

# Why a channel cannot be used (bot.tickets.render.routes words each for people).
NOT_VISIBLE = "not_visible"  # unknown, or private without the bot
ARCHIVED = "archived"
NOT_A_CHANNEL = "not_a_channel"  # a DM or group DM
CANNOT_JOIN = "cannot_join"  # public, but the bot may not join by itself
UNREACHABLE = "unreachable"  # Slack did not answer
NO_SCOPE = "no_scope"  # the app was installed without a scope it needs


class ChannelUnusable(Exception):
    """The bot is not in the channel and cannot get in by itself."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"channel {channel}: {reason}")
        self.channel = channel
        self.reason = reason


@dataclass(frozen=True)
class Membership:
    """The bot is in the channel; `joined` when it joined just now."""

    channel: str
    joined: bool


def ensure_member(client: WebClient, channel: str) -> Membership:
    """Make sure the bot is in `channel`, joining a public one; raises ChannelUnusable."""
    if channel.startswith("D"):  # a DM: reading it would need im:read, and it is no channel
        raise ChannelUnusable(channel, NOT_A_CHANNEL)
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as err:
        error = str(err.response.get("error"))
        log.info("channels.info_failed channel=%s error=%s", channel, error)
        reasons = {"channel_not_found": NOT_VISIBLE, "missing_scope": NO_SCOPE}
        raise ChannelUnusable(channel, reasons.get(error, UNREACHABLE)) from None
    except OSError:
        raise ChannelUnusable(channel, UNREACHABLE) from None
    if info.get("is_im") or info.get("is_mpim"):
        raise ChannelUnusable(channel, NOT_A_CHANNEL)
    if info.get("is_archived"):
        raise ChannelUnusable(channel, ARCHIVED)
    if info.get("is_member"):
        return Membership(channel, joined=False)
    if info.get("is_private"):
        raise ChannelUnusable(channel, NOT_VISIBLE)
    try:
        client.conversations_join(channel=channel)
    except SlackApiError as err:
        error = str(err.response.get("error"))
        log.info("channels.join_failed channel=%s error=%s", channel, error)
        raise ChannelUnusable(
            channel, ARCHIVED if error == "is_archived" else CANNOT_JOIN
        ) from None
    except OSError:
        raise ChannelUnusable(channel, UNREACHABLE) from None
    log.info("channels.joined channel=%s", channel)
    return Membership(channel, joined=True)
