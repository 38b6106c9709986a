"""How the dispatcher treats each kind of Slack failure: retry, wait, or give up at once."""

from __future__ import annotations

import socket
import urllib.error
from dataclasses import dataclass
from http.client import RemoteDisconnected

from slack_sdk.errors import SlackApiError

# Errors no retry can fix: the message is dead-lettered at once with the reason.
# https://docs.slack.dev/reference/methods/chat.postMessage (Errors) and chat.update.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "metadata_must_be_sent_from_app",
        "cant_update_message",
        "message_not_found",
        "edit_window_closed",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "restricted_action_thread_locked",
        "user_not_found",
        "cannot_dm_bot",
        "invalid_arguments",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
        "duplicate_channel_not_found",
    }
)

# Errors after which Slack may or may not have acted: check before sending again.
AMBIGUOUS = frozenset({"internal_error", "fatal_error", "request_timeout", "service_unavailable"})

HINTS = {
    "not_in_channel": "invite the bot to the channel (/invite @supportbot) and retry it with "
    "`supportbot outbox retry`",
    "channel_not_found": "the channel id is wrong, or the channel is private and the bot is "
    "not a member",
    "is_archived": "the channel is archived; unarchive it or change the route",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid; reinstall the app and update the token",
    "missing_scope": "the app lacks a scope; reinstall it from app_manifest.yml",
}


@dataclass(frozen=True)
class Failure:
    """A classified failure of one Slack call."""

    error: str
    permanent: bool = False
    uncertain: bool = False
    retry_after: float | None = None

    @property
    def hint(self) -> str:
        """What an operator can do about it, when we know."""
        return HINTS.get(self.error, "")


def classify(exc: BaseException) -> Failure:
    """Turn an exception from a WebClient call into a retry decision."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 200)
        data = response.data if isinstance(response.data, dict) else {}
        error = str(data.get("error") or f"http_{status}")
        if status == 429:
            header = response.headers.get("Retry-After") or response.headers.get("retry-after")
            try:
                wait = max(float(header), 1.0)
            except (TypeError, ValueError):
                wait = 1.0
            return Failure("ratelimited", retry_after=wait)
        if status >= 500:
            return Failure(error if error != f"http_{status}" else error, uncertain=True)
        if error in PERMANENT:
            return Failure(error, permanent=True)
        return Failure(error, uncertain=error in AMBIGUOUS)
    if isinstance(exc, ConnectionRefusedError):
        return Failure("connection_refused")
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, ConnectionRefusedError):
        return Failure("connection_refused")
    if isinstance(exc, TimeoutError | socket.timeout):
        return Failure("timeout", uncertain=True)
    if isinstance(exc, RemoteDisconnected | ConnectionResetError | urllib.error.URLError):
        return Failure("connection_error", uncertain=True)
    if isinstance(exc, OSError):
        return Failure("connection_error", uncertain=True)
    raise exc
