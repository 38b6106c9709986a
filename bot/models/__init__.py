"""All tables, imported here so metadata is complete for Alembic and tests."""

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
