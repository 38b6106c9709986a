"""All tables, imported here so metadata is complete for Alembic and tests."""

from bot.models.base import Base
from bot.models.bugs import Bug, BugLink, BugTransition
from bot.models.inbox import InboundEvent
from bot.models.insights import DigestRun, HomeView, SlaAlert, SlaPolicy
from bot.models.outbox import OutboxMessage
from bot.models.pending_calls import PendingCall
from bot.models.people import SlackUser, SlackUserGroup, SlackUserGroupMember
from bot.models.rotations import (
    OutOfOffice,
    Rotation,
    RotationMember,
    Shift,
    ShiftAssignment,
    ShiftEvent,
    ShiftOffer,
)
from bot.models.state import AppState
from bot.models.tickets import (
    ChannelSetting,
    HelpdeskName,
    RoutingRule,
    Ticket,
    TicketChange,
    TicketComment,
)

__all__ = [
    "AppState",
    "Base",
    "ChannelSetting",
    "HelpdeskName",
    "InboundEvent",
    "OutboxMessage",
    "PendingCall",
    "RoutingRule",
    "SlackUser",
    "SlackUserGroup",
    "SlackUserGroupMember",
    "Ticket",
    "TicketChange",
    "TicketComment",
    "OutOfOffice",
    "Rotation",
    "RotationMember",
    "Shift",
    "ShiftAssignment",
    "ShiftEvent",
    "ShiftOffer",
    "Bug",
    "BugLink",
    "BugTransition",
    "DigestRun",
    "HomeView",
    "SlaAlert",
    "SlaPolicy",
]
