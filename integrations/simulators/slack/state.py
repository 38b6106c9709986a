"""In-memory state of the simulated Slack workspace: people, conversations, messages, threads.

The HTTP layer (`slack.py`) and the method modules read and change this state under the
simulator's lock; nothing here does I/O.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from integrations.simulators.slack.objects import (
    build_user,
    conversation_object,
    new_channel,
    public_message,
)


class SlackFault(Exception):
    """A Slack `ok: false` answer: the error code plus any extra top-level fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class SlackState:
    """Users, conversations, messages, views and interaction handles of one workspace."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        team_id: str,
        team_domain: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        scopes: Iterable[str],
    ) -> None:
        self.clock = clock
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_domain.capitalize()
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.scopes = list(scopes)
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.dm_by_user: dict[str, str] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.locked_usergroups: set[str] = set()  # groups the app may not edit
        self.ephemerals: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.triggers: dict[str, dict[str, Any]] = {}
        self.modal_stacks: dict[str, list[dict[str, Any]]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.response_urls: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}  # uploads by file id (slack/files.py)
        self._last_ts = (0, 0)
        self._seq = 0
        self.add_user(bot_user_id, "supportbot", real_name="Supportbot", is_bot=True)
        self.users[bot_user_id]["profile"]["bot_id"] = bot_id

    # ---- ids and timestamps -------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as `V0SIM0007`."""
        self._seq += 1
        return f"{prefix}0SIM{self._seq:04d}"

    def next_ts(self) -> str:
        """A unique, strictly increasing message ts derived from the sim clock."""
        sec = int(self.clock())
        last_sec, last_frac = self._last_ts
        if sec > last_sec:
            frac = 100
        else:
            sec, frac = last_sec, last_frac + 1
            if frac > 999_999:
                sec, frac = sec + 1, 100
        self._last_ts = (sec, frac)
        return f"{sec}.{frac:06d}"

    # ---- users ----------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, **fields: Any) -> dict[str, Any]:
        """Create or replace a user (fields as in `build_user`); returns the user object."""
        self.users[user_id] = build_user(
            user_id, name, team_id=self.team_id, now=self.clock(), **fields
        )
        return copy.deepcopy(self.users[user_id])

    def user(self, user_id: Any) -> dict[str, Any]:
        """A stored user or SlackFault(user_not_found)."""
        found = self.users.get(str(user_id or ""))
        if found is None:
            raise SlackFault("user_not_found")
        return found

    # ---- conversations ----------------------------------------------------------------------
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
        """Create or replace a public or private channel; returns its conversation object."""
        member_ids = [m for m in dict.fromkeys(members) if m != self.bot_user_id]
        if bot_member:
            member_ids.append(self.bot_user_id)
        self.channels[channel_id] = new_channel(
            channel_id,
            name.lstrip("#"),
            now=self.clock(),
            members=member_ids,
            is_private=is_private,
            is_archived=is_archived,
        )
        return self.conversation(channel_id)

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with a user, opening it on first use."""
        if user_id in self.dm_by_user:
            return self.dm_by_user[user_id]
        self.user(user_id)
        channel_id = f"D{user_id[1:]}"
        if channel_id in self.channels:
            channel_id = self.next_id("D")
        members = [user_id, self.bot_user_id]
        channel = new_channel(channel_id, user_id, now=self.clock(), members=members, is_im=True)
        self.channels[channel_id] = {**channel, "user": user_id}
        self.dm_by_user[user_id] = channel_id
        return channel_id

    def open_mpim(self, user_ids: list[str]) -> str:
        """The id of a group DM with these users and the bot, reusing an existing one."""
        wanted = set(user_ids) | {self.bot_user_id}
        for channel in self.channels.values():
            if channel["is_mpim"] and set(channel["members"]) == wanted:
                return str(channel["id"])
        channel_id = self.next_id("G")
        names = [self.users[u]["name"] for u in user_ids]
        self.channels[channel_id] = new_channel(
            channel_id,
            "mpdm-" + "--".join(names) + "-1",
            now=self.clock(),
            members=[*user_ids, self.bot_user_id],
            is_mpim=True,
        )
        return channel_id

    def find_channel(self, ref: Any) -> dict[str, Any] | None:
        """A conversation by id, or by name with or without `#`."""
        key = str(ref or "")
        if key in self.channels:
            return self.channels[key]
        name = key.lstrip("#")
        for channel in self.channels.values():
            if not channel["is_im"] and channel["name"] == name:
                return channel
        return None

    def channel_type(self, channel: dict[str, Any]) -> str:
        """The Events API `channel_type` of a conversation."""
        if channel["is_im"]:
            return "im"
        if channel["is_mpim"]:
            return "mpim"
        return "group" if channel["is_private"] else "channel"

    def conversation(self, channel_id: str, *, num_members: bool = False) -> dict[str, Any]:
        """The conversations.info `channel` object."""
        c = self.channels[channel_id]
        return conversation_object(
            c,
            team_id=self.team_id,
            bot_user_id=self.bot_user_id,
            now=self.clock(),
            user_deleted=bool(c["is_im"] and self.users[c["user"]]["deleted"]),
            num_members=num_members,
        )

    # ---- messages -----------------------------------------------------------------------
    def message(self, channel: dict[str, Any], ts: Any) -> dict[str, Any] | None:
        """A stored message of a conversation by ts."""
        return channel["by_ts"].get(str(ts or ""))

    def store_message(
        self,
        channel_id: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append a message (the bot's when `user` is the bot user) and update its thread."""
        channel = self.channels[channel_id]
        ts = self.next_ts()
        record: dict[str, Any] = {"type": "message", "text": text, "user": user, "ts": ts}
        if user == self.bot_user_id:
            record.update(
                bot_id=self.bot_id,
                app_id=self.app_id,
                bot_profile={
                    "id": self.bot_id,
                    "app_id": self.app_id,
                    "name": "supportbot",
                    "deleted": False,
                    "team_id": self.team_id,
                },
            )
        else:
            record["client_msg_id"] = secrets.token_hex(16)
        record["team"] = self.team_id
        if blocks is not None:
            record["blocks"] = blocks
        if attachments is not None:
            record["attachments"] = attachments
        if metadata:
            record["metadata"] = metadata
        record.update(extra or {})
        record["channel"] = channel_id
        if thread_ts:
            self._attach_to_thread(channel, record, str(thread_ts), reply_broadcast)
        channel["messages"].append(record)
        channel["by_ts"][ts] = record
        return record

    def _attach_to_thread(
        self, channel: dict[str, Any], record: dict[str, Any], thread_ts: str, broadcast: bool
    ) -> None:
        parent = channel["by_ts"].get(thread_ts)
        if parent is not None and parent.get("thread_ts") not in (None, parent["ts"]):
            # Replying to a reply's ts lands in the parent's thread.
            parent = channel["by_ts"].get(parent["thread_ts"])
        if parent is None:
            record["thread_ts"] = thread_ts
            self.warn("thread_parent_not_found", channel=channel["id"], ts=thread_ts)
            return
        record["thread_ts"] = parent["ts"]
        record["parent_user_id"] = parent.get("user")
        if broadcast:
            record["subtype"] = "thread_broadcast"
            record["root"] = public_message(parent, include_metadata=False)
        parent["thread_ts"] = parent["ts"]
        replies = [*self.replies(channel, parent["ts"]), record]
        self._refresh_thread(parent, replies)

    def _refresh_thread(self, parent: dict[str, Any], replies: list[dict[str, Any]]) -> None:
        users = list(dict.fromkeys(r["user"] for r in replies))
        parent["reply_count"] = len(replies)
        parent["reply_users_count"] = len(users)
        parent["reply_users"] = users[:5]
        parent["latest_reply"] = replies[-1]["ts"] if replies else parent["ts"]

    def replies(self, channel: dict[str, Any], parent_ts: str) -> list[dict[str, Any]]:
        """Stored replies of a thread, oldest first."""
        return [
            m
            for m in channel["messages"]
            if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts
        ]

    def delete_message(self, channel: dict[str, Any], record: dict[str, Any]) -> None:
        """Remove a message; a parent with replies becomes a tombstone as in Slack."""
        ts = record["ts"]
        if record.get("thread_ts") == ts and self.replies(channel, ts):
            for key in ("blocks", "attachments", "metadata", "edited"):
                record.pop(key, None)
            record.update(text="This message was deleted.", subtype="tombstone")
            return
        channel["messages"].remove(record)
        del channel["by_ts"][ts]
        parent_ts = record.get("thread_ts")
        if parent_ts and parent_ts != ts and parent_ts in channel["by_ts"]:
            self._refresh_thread(channel["by_ts"][parent_ts], self.replies(channel, parent_ts))

    def warn(self, warning: str, **context: Any) -> None:
        """Record something Slack would accept but the app should not do."""
        self.warnings.append({"warning": warning, **context})

    def record_ephemeral(
        self,
        channel_id: str,
        user_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        source: str,
    ) -> dict[str, Any]:
        """Store an ephemeral message shown to one user."""
        entry = {
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "blocks": blocks,
            "thread_ts": thread_ts,
            "ts": self.next_ts(),
            "source": source,
        }
        self.ephemerals.append(entry)
        return entry
