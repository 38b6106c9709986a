"""Slack Web API rate limits as the simulator enforces them, measured on the sim clock.

Tiers per method come from docs.slack.dev method references (mirrored as `rate_limits` in
slack-ruby/slack-api-ref `docs.slack.dev/methods/<method>.json`); per-minute budgets from
https://docs.slack.dev/apis/web-api/rate-limits (Tier 1: 1+, 2: 20+, 3: 50+, 4: 100+ per
minute). chat.postMessage is "special": about one message per second per channel with short
bursts, which the simulator models as a per-channel token bucket.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# "Special" methods other than chat.postMessage (auth.test, chat.getPermalink) allow
# several hundred calls a minute per the rate-limit page; 600 stands in for that.
SPECIAL_PER_MINUTE = 600

METHOD_TIERS: dict[str, int | None] = {
    "auth.test": None,
    "chat.postMessage": None,
    "chat.getPermalink": None,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.join": 3,
    "conversations.members": 4,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "reactions.add": 3,
    "reactions.get": 3,
    "team.info": 3,
}


def per_minute(method: str) -> int:
    """The simulated per-minute budget of a method."""
    tier = METHOD_TIERS.get(method, 3)
    return SPECIAL_PER_MINUTE if tier is None else TIER_PER_MINUTE[tier]


@dataclass
class RateLimiter:
    """Sliding one-minute windows per method and a token bucket per channel for posting."""

    enabled: bool = False
    post_per_second: float = 1.0
    post_burst: int = 1
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def configure(self, enabled: bool, post_per_second: float, post_burst: int) -> None:
        """Switch limits on or off and reset every window and bucket."""
        self.enabled = enabled
        self.post_per_second = post_per_second
        self.post_burst = max(1, post_burst)
        self._windows.clear()
        self._buckets.clear()

    def check_method(self, method: str, now: float) -> int | None:
        """Count one call; None when allowed, else the Retry-After seconds (call not counted)."""
        if not self.enabled:
            return None
        window = self._windows.setdefault(method, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) >= per_minute(method):
            return max(1, math.ceil(window[0] + 60.0 - now))
        window.append(now)
        return None

    def check_post(self, channel: str, now: float) -> int | None:
        """Take one token from a channel's bucket; None when allowed, else Retry-After."""
        if not self.enabled:
            return None
        capacity = float(self.post_burst)
        tokens, last = self._buckets.get(channel, (capacity, now))
        tokens = min(capacity, tokens + max(0.0, now - last) * self.post_per_second)
        if tokens < 1.0:
            self._buckets[channel] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.post_per_second))
        self._buckets[channel] = (tokens - 1.0, now)
        return None
