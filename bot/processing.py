"""Which core function processes the stored events of each source."""

from __future__ import annotations

from collections.abc import Mapping

from bot import slack_events
from bot.inbox import Processor


def processors() -> Mapping[str, Processor]:
    """The processor for each inbound source."""
    return {"slack": slack_events.process}
