"""All tables, imported here so metadata is complete for Alembic and tests."""

from bot.models.base import Base
from bot.models.inbox import InboundEvent
from bot.models.outbox import OutboxMessage
from bot.models.state import AppState

__all__ = ["AppState", "Base", "InboundEvent", "OutboxMessage"]
