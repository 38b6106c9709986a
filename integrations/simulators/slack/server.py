"""A stateful simulator of the Slack Web API over real HTTP.

The app talks to it with `slack_sdk.WebClient(token=..., base_url=sim.api_url)`. Every method
answers on `GET` and `POST /api/<method>` with query, form or JSON arguments, as Slack does;
Slack errors are HTTP 200 with `ok: false`. Route names (for `fail()` and `calls_to()`) are
the Slack method names. Tests build the workspace with `add_user`/`add_channel`/..., drive it
through the app, and read the outcome with `messages()`/`thread()`/`ephemerals()`/`views()`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from integrations.simulators.base import SimRequest, SimResponse, SimulatorServer
from integrations.simulators.slack import chat as slack_chat
from integrations.simulators.slack import conversations as slack_conversations
from integrations.simulators.slack import directory
from integrations.simulators.slack import files as slack_files
from integrations.simulators.slack import views as slack_views
from integrations.simulators.slack.inspection import SlackInspection
from integrations.simulators.slack.objects import inspect_message
from integrations.simulators.slack.ratelimit import RateLimiter
from integrations.simulators.slack.socket_mode import SocketModeLink
from integrations.simulators.slack.state import SlackFault, SlackState

OPEN = "apps.connections.open"  # Socket Mode (integrations/simulators/slack/socket_mode.py)

DEFAULT_SCOPES = tuple(
    "app_mentions:read channels:history channels:join channels:read channels:write.topic "
    "chat:write chat:write.public commands files:write groups:history groups:read "
    "groups:write.topic im:history im:read im:write metadata.message:read mpim:history "
    "mpim:read mpim:write reactions:read reactions:write team:read usergroups:read "
    "usergroups:write users:read users:read.email".split()
)

Method = Callable[[SlackState, dict[str, Any]], dict[str, Any]]

METHODS: dict[str, Method] = {
    "auth.test": directory.auth_test,
    "team.info": directory.team_info,
    "users.info": directory.users_info,
    "users.list": directory.users_list,
    "users.lookupByEmail": directory.lookup_by_email,
    "usergroups.list": directory.usergroups_list,
    "usergroups.users.list": directory.usergroup_users,
    "usergroups.users.update": directory.usergroup_users_update,
    "usergroups.disable": directory.usergroups_disable,
    "usergroups.enable": directory.usergroups_enable,
    "chat.postMessage": slack_chat.post_message,
    "chat.update": slack_chat.update_message,
    "chat.delete": slack_chat.delete_message,
    "chat.postEphemeral": slack_chat.post_ephemeral,
    "chat.getPermalink": slack_chat.get_permalink,
    "reactions.add": slack_chat.add_reaction,
    "reactions.get": slack_chat.get_reactions,
    "conversations.history": slack_conversations.history,
    "conversations.replies": slack_conversations.replies,
    "conversations.open": slack_conversations.open_conversation,
    "conversations.info": slack_conversations.info,
    "conversations.members": slack_conversations.members,
    "conversations.join": slack_conversations.join,
    "conversations.setTopic": slack_conversations.set_topic,
    "views.open": slack_views.views_open,
    "views.push": slack_views.views_push,
    "views.update": slack_views.views_update,
    "views.publish": slack_views.views_publish,
}


class SlackSimulator(SlackInspection, SimulatorServer):
    """The simulated Slack workspace and Web API, served on a loopback port."""

    name = "slack"

    def __init__(
        self,
        token: str = "xoxb-sim",  # noqa: S107 - the simulator's fake bot token
        *,
        team_id: str = "T0SIM",
        team_domain: str = "acme",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0SIM",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        clock: Callable[[], float] = time.time,
        rate_limits: bool = False,
        app_token: str = "xapp-1-A0SIM-1-sim",  # noqa: S107 - the simulator's fake app token
    ) -> None:
        super().__init__(clock)
        self.token = token
        self.state = SlackState(
            clock=lambda: self.clock(),
            team_id=team_id,
            team_domain=team_domain,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            scopes=scopes,
        )
        self.limiter = RateLimiter(enabled=rate_limits)
        self.methods: dict[str, Method] = slack_files.with_uploads(self, METHODS)
        for method in self.methods:
            for verb in ("GET", "POST"):
                self.route(verb, "/api/" + re.escape(method), method, self._api(method))
        self.route("POST", "/response/{key}", "response_url", self._response_url)
        self.socket_mode = SocketModeLink(self.state, app_token)
        for verb in ("GET", "POST"):
            self.route(verb, r"/api/apps\.connections\.open", OPEN, self.socket_mode.handle)
        for verb in ("GET", "POST"):
            self.route(verb, "/api/{method}", "unknown_method", self._unknown_method)

    def start(self) -> SlackSimulator:
        """Serve on an ephemeral loopback port; returns self for chaining."""
        super().start()
        return self

    def __enter__(self) -> SlackSimulator:
        return self.start()

    def stop(self) -> None:
        """Close Socket Mode links, then stop serving."""
        self.socket_mode.stop()
        super().stop()

    @property
    def api_url(self) -> str:
        """The `base_url` to give slack_sdk's WebClient."""
        return f"{self.base_url}/api/"

    # ---- HTTP ---------------------------------------------------------------------------
    def authenticate(self, request: SimRequest, route: str) -> SimResponse | None:
        """Bearer token (or `token` argument) must be the bot token."""
        # The upload URL is the credential; OPEN takes the app token.
        if route in ("response_url", "unknown_method", "file_upload", OPEN):
            return None
        auth = request.header("authorization")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        token = token or str(request.args().get("token") or "")
        if not token:
            return SimResponse(200, {"ok": False, "error": "not_authed"})
        if token != self.token:
            return SimResponse(200, {"ok": False, "error": "invalid_auth"})
        return None

    def _headers(self) -> dict[str, str]:
        return {"x-oauth-scopes": ",".join(self.state.scopes)}

    def _api(self, method: str) -> Callable[[SimRequest], SimResponse]:
        def handle(request: SimRequest) -> SimResponse:
            args = request.args()
            args.pop("token", None)
            with self.lock:
                retry_after = self._rate_limited(method, args)
                if retry_after is not None:
                    body = {"ok": False, "error": "ratelimited"}
                    return SimResponse(429, body, {"Retry-After": str(retry_after)})
                try:
                    body = {"ok": True, **self.methods[method](self.state, args)}
                except SlackFault as fault:
                    body = {"ok": False, "error": fault.error, **fault.extra}
            return SimResponse(200, body, self._headers())

        return handle

    def _rate_limited(self, method: str, args: dict[str, Any]) -> int | None:
        now = self.clock()
        if method != "chat.postMessage":
            return self.limiter.check_method(method, now)
        ref = str(args.get("channel") or "")
        channel = self.state.find_channel(ref)
        if ref in self.state.users:
            key = f"im:{ref}"  # a user id posts into the DM, which may not be open yet
        elif channel is not None:
            key = f"im:{channel['user']}" if channel["is_im"] else channel["id"]
        else:
            key = ref
        return self.limiter.check_post(key, now)

    def _unknown_method(self, request: SimRequest) -> SimResponse:
        return SimResponse(200, {"ok": False, "error": "unknown_method"})

    def _response_url(self, request: SimRequest) -> SimResponse:
        payload = request.json
        if payload is None and "payload" in request.form:
            try:
                payload = json.loads(request.form["payload"])
            except ValueError:
                payload = None
        with self.lock:
            status, body = slack_views.use_response_url(
                self.state, request.path_args["key"], payload
            )
        return SimResponse(status, body)

    # ---- configuration ----------------------------------------------------------------------
    def set_rate_limits(
        self, enabled: bool, *, post_per_channel_per_second: float = 1.0, post_burst: int = 1
    ) -> None:
        """Turn Slack's rate limits on or off (measured on the sim clock)."""
        with self.lock:
            self.limiter.configure(enabled, post_per_channel_per_second, post_burst)

    def fail_method(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of a method with Slack's `ok: false` and `error`."""
        self.fail(method, 200, {"ok": False, "error": error}, times=times)

    # ---- state builders -------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "America/New_York",
        tz_offset: int | None = None,
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_admin: bool = False,
    ) -> dict[str, Any]:
        """Add a person; `tz_offset` defaults to the offset of `tz` at the sim clock's now."""
        with self.lock:
            return self.state.add_user(
                user_id,
                name,
                real_name=real_name,
                tz=tz,
                tz_offset=tz_offset,
                email=email,
                is_bot=is_bot,
                deleted=deleted,
                is_restricted=is_restricted,
                is_ultra_restricted=is_ultra_restricted,
                is_admin=is_admin,
            )

    def remove_user(self, user_id: str) -> None:
        """Deactivate a user: users.info then reports `deleted: true`."""
        with self.lock:
            self.state.user(user_id)["deleted"] = True

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_member: bool = True,
        is_archived: bool = False,
    ) -> dict[str, Any]:
        """Add a channel; returns its conversations.info object."""
        with self.lock:
            return self.state.add_channel(
                channel_id,
                name,
                is_private=is_private,
                members=members,
                bot_member=bot_member,
                is_archived=is_archived,
            )

    def archive_channel(self, channel_id: str) -> None:
        """Archive a channel (posts then fail with `is_archived`)."""
        with self.lock:
            self.state.channels[channel_id]["is_archived"] = True

    def add_usergroup(
        self, group_id: str, handle: str, name: str | None = None, users: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Add a user group (`S…` id, `@handle`)."""
        with self.lock:
            return directory.add_usergroup(self.state, group_id, handle, name, list(users))

    def set_usergroup_users(self, group_id: str, users: Iterable[str]) -> None:
        """Replace a user group's members."""
        with self.lock:
            group = self.state.usergroups[group_id]
            group["users"] = list(dict.fromkeys(users))
            group["user_count"] = len(group["users"])
            group["date_update"] = int(self.clock())

    def lock_usergroup(self, group_id: str, locked: bool = True) -> None:
        """Make a user group one the app may not edit (`permission_denied`), or editable."""
        with self.lock:
            self.state.locked_usergroups.discard(group_id)
            if locked:
                self.state.locked_usergroups.add(group_id)

    def set_scopes(self, scopes: Iterable[str]) -> None:
        """Grant the bot token exactly these scopes (a reinstall with another manifest)."""
        with self.lock:
            self.state.scopes = list(scopes)

    def post_as_user(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Store a human's message (channel id or name; the bot's user id means their DM)."""
        with self.lock:
            self.state.user(user)
            if channel == self.state.bot_user_id:
                channel_id = self.state.dm_channel(user)
            else:
                found = self.state.find_channel(channel)
                if found is None:
                    raise KeyError(f"unknown channel {channel!r}")
                channel_id = found["id"]
            rich = [
                {
                    "type": "rich_text",
                    "block_id": f"r{len(text) % 97}",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                    ],
                }
            ]
            record = self.state.store_message(
                channel_id, user=user, text=text, blocks=blocks or rich, thread_ts=thread_ts
            )
            return inspect_message(record)

    def open_dm(self, user_id: str) -> str:
        """Open (or find) the bot's DM with a user; returns its `D…` id."""
        with self.lock:
            return self.state.dm_channel(user_id)

    def new_trigger_id(self, user_id: str) -> str:
        """A fresh trigger_id for an interaction by `user_id` (single use, 3 s)."""
        with self.lock:
            return slack_views.new_trigger_id(self.state, user_id)

    def new_response_url(
        self,
        channel_id: str,
        user_id: str,
        *,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
    ) -> str:
        """A fresh response_url (5 uses within 30 minutes) for an interaction."""
        with self.lock:
            return slack_views.new_response_url(
                self.state,
                self.base_url,
                channel_id,
                user_id,
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
            )

    # ---- interaction follow-through (used by the driver) -----------------------------------
    def apply_view_response(
        self, user_id: str, view_id: str, action: str | None, view: Any = None
    ) -> str | None:
        """Apply a view_submission answer; returns the id of the view now on top, if any."""
        with self.lock:
            slack_views.apply_view_response(self.state, user_id, view_id, action, view)
            stack = self.state.modal_stacks.get(user_id)
            return stack[-1]["id"] if stack else None

    def close_view(self, user_id: str, view_id: str) -> None:
        """Close a modal view (and views above it), as when the user dismisses it."""
        with self.lock:
            slack_views.close_view(self.state, user_id, view_id)

    def deliver_ack(self, channel_id: str, user_id: str, body: dict[str, Any]) -> None:
        """Show a slash command's ack body: in the channel for `in_channel`, else ephemerally."""
        text = str(body.get("text") or "")
        blocks = body.get("blocks")
        with self.lock:
            if blocks and not text:
                self.state.warn("missing_text_in_blocks", method="ack", channel=channel_id)
            if body.get("response_type") == "in_channel":
                self.state.store_message(
                    channel_id, user=self.state.bot_user_id, text=text, blocks=blocks
                )
            elif text or blocks:
                self.state.record_ephemeral(
                    channel_id, user_id, text=text, blocks=blocks, thread_ts=None, source="ack"
                )
