"""Read-only views of the simulated Slack workspace, for tests' assertions.

Everything returned is a deep copy taken under the simulator's lock.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from integrations.simulators.slack import files as slack_files
from integrations.simulators.slack import views as slack_views
from integrations.simulators.slack.objects import inspect_message, is_top_level, ts_key
from integrations.simulators.slack.state import SlackState


class SlackInspection:
    """Mixin for SlackSimulator: messages, threads, DMs, ephemerals, views, warnings."""

    state: SlackState
    lock: threading.RLock

    def _channel_id(self, channel: str) -> str:
        if channel in self.state.dm_by_user:
            return self.state.dm_by_user[channel]
        found = self.state.find_channel(channel)
        if found is None:
            raise KeyError(f"unknown channel {channel!r}")
        return str(found["id"])

    def conversation(self, channel: str) -> dict[str, Any]:
        """The conversations.info object of a conversation (id, name, or a user's DM)."""
        with self.lock:
            return self.state.conversation(self._channel_id(channel))

    def user(self, user_id: str) -> dict[str, Any]:
        """The users.info object of a user."""
        with self.lock:
            return copy.deepcopy(self.state.user(user_id))

    def shared_files(self) -> list[dict[str, Any]]:
        """Every file shared through files.completeUploadExternal, in upload order."""
        with self.lock:
            return slack_files.shared_files(self.state)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages of a conversation, oldest first."""
        with self.lock:
            stored = self.state.channels[self._channel_id(channel)]["messages"]
            return [inspect_message(m) for m in stored if is_top_level(m)]

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies of a thread (without the parent), oldest first."""
        with self.lock:
            stored = self.state.channels[self._channel_id(channel)]
            return [inspect_message(m) for m in self.state.replies(stored, ts)]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's parent followed by its replies."""
        with self.lock:
            stored = self.state.channels[self._channel_id(channel)]
            parent = self.state.message(stored, ts)
            head = [inspect_message(parent)] if parent is not None else []
            return head + [inspect_message(m) for m in self.state.replies(stored, ts)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One stored message by ts, or None."""
        with self.lock:
            found = self.state.message(self.state.channels[self._channel_id(channel)], ts)
            return inspect_message(found) if found is not None else None

    def dm_channel(self, user_id: str) -> str | None:
        """The id of the bot's DM with a user, if one is open."""
        with self.lock:
            return self.state.dm_by_user.get(user_id)

    def dms(self, user_id: str) -> list[dict[str, Any]]:
        """Messages the bot sent in its DM with a user, oldest first."""
        with self.lock:
            channel_id = self.state.dm_by_user.get(user_id)
            if channel_id is None:
                return []
            stored = self.state.channels[channel_id]["messages"]
            return [inspect_message(m) for m in stored if m.get("bot_id") == self.state.bot_id]

    def ephemerals(
        self, user: str | None = None, channel: str | None = None
    ) -> list[dict[str, Any]]:
        """Ephemeral messages shown (chat.postEphemeral, response_url, command acks)."""
        with self.lock:
            return [
                copy.deepcopy(e)
                for e in self.state.ephemerals
                if (user is None or e["user"] == user)
                and (channel is None or e["channel"] == channel)
            ]

    def views(self, user: str | None = None) -> list[dict[str, Any]]:
        """The open modal stack of a user, bottom first (every user's when `user` is None)."""
        with self.lock:
            stacks = self.state.modal_stacks
            chosen = [stacks.get(user, [])] if user is not None else list(stacks.values())
            return [copy.deepcopy(v) for stack in chosen for v in stack]

    def usergroup(self, group_id: str) -> dict[str, Any]:
        """A user group as stored (members, and `date_delete` non-zero while disabled)."""
        with self.lock:
            return copy.deepcopy(self.state.usergroups[group_id])

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view published for a user."""
        with self.lock:
            found = self.state.homes.get(user_id)
            return copy.deepcopy(found) if found is not None else None

    def view_for_trigger(self, trigger_id: str) -> dict[str, Any] | None:
        """The view opened or pushed with a trigger_id: current if still open, else as opened."""
        with self.lock:
            trigger = self.state.triggers.get(trigger_id)
            if trigger is None or trigger["view_id"] is None:
                return None
            found = slack_views.find_view(self.state, view_id=trigger["view_id"])
            return copy.deepcopy(found[1] if found else trigger["view"])

    def find_messages(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every stored message (any conversation, replies included) matching `predicate`."""
        with self.lock:
            every = [
                inspect_message(m) for c in self.state.channels.values() for m in c["messages"]
            ]
        return sorted((m for m in every if predicate(m)), key=lambda m: ts_key(m["ts"]))

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Things Slack accepted but the app should not do (e.g. blocks without fallback text)."""
        with self.lock:
            return copy.deepcopy(self.state.warnings)

    def responses(self, response_url: str) -> list[dict[str, Any]]:
        """The payloads accepted by one response_url, in order."""
        with self.lock:
            entry = self.state.response_urls.get(response_url.rstrip("/").rsplit("/", 1)[-1])
            return copy.deepcopy(entry["posted"]) if entry else []
