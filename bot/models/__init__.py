"""The kernel's tables (inbox, outbox, pending calls, the Slack directory, named values) and the
declarative base every domain's models share. Each domain keeps its own in `<domain>/models.py`;
`bot.migrate.metadata()` gathers them all."""

from bot.models.base import Base
from bot.models.inbox import InboundEvent
from bot.models.outbox import OutboxMessage
from bot.models.pending_calls import PendingCall
from bot.models.people import SlackUser, SlackUserGroup, SlackUserGroupMember
from bot.models.state import AppState

__all__ = [
    "AppState",
    "Base",
    "InboundEvent",
    "OutboxMessage",
    "PendingCall",
    "SlackUser",
    "SlackUserGroup",
    "SlackUserGroupMember",
]
