"""Every time shown to people is Slack's `<!date^…>`, so each reader sees it in their own zone.

Outside those tokens the App Home, the queue, the no-show report and the rotation's channel
post hold no clock time at all; the fallback inside a token (for clients that cannot format
dates) is in the reader's or the rotation's zone.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from rotation_helpers import (
    MONDAY,
    ROTATION_CHANNEL,
    add_workspace,
    cache_workspace,
    chat_support,
    create_rotation,
    seats,
)

from bot.db import transaction
from bot.render.times import slack_span, slack_time
from scheduling.sweeps import rotations as rotation_sweeps

pytestmark = pytest.mark.travel(MONDAY)

SUPPORT = "C0SUPPORT"
TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def _texts(blocks: list[dict[str, Any]]) -> str:
    out = []
    for block in blocks:
        out.append((block.get("text") or {}).get("text", ""))
        out += [f.get("text", "") for f in block.get("fields") or []]
        out += [e.get("text", "") for e in block.get("elements") or [] if "type" in e]
    return "\n".join(t for t in out if isinstance(t, str))


def _only_slack_dates(text: str) -> list[int]:
    """The epochs of the date tokens in `text`, after checking no other clock time is left."""
    left = TOKEN.sub("", text)
    assert not CLOCK_TIME.search(left), left
    return [int(e) for e in TOKEN.findall(text)]


def _a_rotation_with_a_no_show(app: Any) -> Any:
    add_workspace(app.slack)
    now = app.clock.now()
    with transaction(app.runtime.factory) as session:
        cache_workspace(session, now)
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    start = now + timedelta(minutes=30)
    spec = chat_support(timezone="Europe/Berlin", days=days, start=f"{start:%H:%M}")
    rotation_id = create_rotation(app.runtime.factory, now, spec)
    first = seats(app.runtime.factory, rotation_id)[0]
    app.clock.set(first.window_closes_at)
    with transaction(app.runtime.factory) as session:
        rotation_sweeps.tick(session, app.clock.now(), default_leads=["U0LEAD"])
    app.settle()
    return first


def test_home_queue_noshows_and_channel_posts_show_each_reader_their_own_time(app: Any) -> None:
    first = _a_rotation_with_a_no_show(app)
    now = app.clock.now()
    [post] = [m for m in app.slack.messages(ROTATION_CHANNEL) if "now" in m["text"]]
    start, end = first.starts_at, first.ends_at
    assert slack_span(start, end, "Europe/Berlin") in post["text"]  # fallback: rotation's zone
    assert int(start.timestamp()) in _only_slack_dates(_texts(post["blocks"]))

    app.driver.app_home_opened("U0LEAD")
    app.settle()
    home = app.slack.home("U0LEAD")
    assert home is not None
    shown = _texts(home["blocks"])
    assert f"Updated {slack_time(now, tz='America/New_York')}" in shown  # the lead's zone
    assert int(start.timestamp()) in _only_slack_dates(shown)  # today's shifts, no-shows

    queue = app.driver.command("/support", "queue", user_id="U0LEAD", channel_id=SUPPORT)
    assert int(now.timestamp()) in _only_slack_dates(_texts(queue.json["blocks"]))
    assert "As of <!date^" in _texts(queue.json["blocks"])

    report = app.driver.command("/support", "noshows 7d", user_id="U0LEAD", channel_id=SUPPORT)
    dates = _only_slack_dates(_texts(report.json["blocks"]))
    assert dates[:2] == [int((now - timedelta(days=7)).timestamp()), int(now.timestamp())]
