"""The one-time note in the support channel saying the bot is connected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.render.blocks import context, section


def announce(session: Session, channel: str, now: datetime) -> bool:
    """Queue the welcome note for `channel` (once per channel, ever)."""
    text = (
        ":wave: supportbot is connected to this channel. Customer tickets will appear here, "
        "one thread each; type `/support help` to see what else it does."
    )
    blocks = [section(text), context("Posted once, when supportbot first starts here.")]
    return outbox.enqueue_post(
        session, key=f"welcome:{channel}", channel=channel, text=text, blocks=blocks, now=now
    )
