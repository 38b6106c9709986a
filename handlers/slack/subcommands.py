"""The `/support` subcommand table: name, usage, help, and who may run it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.render.help import HelpEntry
from handlers.deps import Deps

# A subcommand handler gets the parsed context and returns (text, blocks) for the user.
Handler = Callable[["Invocation"], tuple[str, list[dict[str, Any]]]]


@dataclass
class Invocation:
    """One `/support` call as a subcommand sees it."""

    user_id: str
    channel_id: str
    args: list[str]
    raw: str
    deps: Deps
    # Slack's Web API, for a subcommand that asks Slack something (`Subcommand.asks_slack`):
    # only set when it runs after the ack.
    client: WebClient | None = None
    # Set by a subcommand whose answer everyone in the channel should see.
    public: bool = False
    # Set by a subcommand that opens a modal: the view, opened right after the ack.
    modal: dict[str, Any] | None = None
    # The command's trigger_id: unique per invocation (keys what it queues).
    trigger_id: str = ""


@dataclass(frozen=True)
class Subcommand:
    """A `/support` subcommand."""

    name: str
    usage: str
    summary: str
    handler: Handler
    leads_only: bool = False
    details: str = ""
    # Actions (first arguments) whose handling asks Slack something (membership, a profile):
    # the command is acknowledged first and answered through response_url once Slack replied.
    asks_slack: tuple[str, ...] = ()

    def answers_later(self, args: list[str]) -> bool:
        """Whether these arguments make a Slack call, so the answer follows the ack."""
        return bool(args) and args[0].lower() in self.asks_slack

    @property
    def help(self) -> HelpEntry:
        """How help shows it."""
        return HelpEntry(self.name, self.usage, self.summary, self.leads_only, self.details)


class Registry:
    """Subcommands by name, in the order help lists them."""

    def __init__(self) -> None:
        self._items: dict[str, Subcommand] = {}

    def add(self, sub: Subcommand) -> None:
        """Register a subcommand (names are unique)."""
        if sub.name in self._items:
            raise ValueError(f"subcommand {sub.name!r} registered twice")
        self._items[sub.name] = sub

    def get(self, name: str) -> Subcommand | None:
        """The subcommand called `name`, if any."""
        return self._items.get(name)

    def entries(self) -> list[HelpEntry]:
        """Help entries in registration order."""
        return [s.help for s in self._items.values()]
