"""Pacing calls to an endpoint with a per-minute budget (Zendesk's Update Ticket endpoint).

Zendesk allows 100 Update Ticket requests a minute per account, apart from the plan's
account-wide limit (https://developer.zendesk.com/api-reference/introduction/rate-limits/);
internal notes and public replies both use it. The pacer keeps this process under the budget
on a rolling minute, on the same clock the calls run on; a 429's Retry-After still governs
when several processes share the account.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

# A call counts a second longer than the minute: the helpdesk stamps it when it arrives, a
# little after the pacer did.
WINDOW = timedelta(minutes=1, seconds=1)


class Pacer:
    """A rolling-minute budget of `per_minute` calls, read on `clock` when each call is made."""

    def __init__(self, per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._sent: deque[datetime] = deque()
        self._lock = threading.Lock()

    def _expire(self, now: datetime) -> None:
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()

    def take(self) -> datetime | None:
        """Spend one call now; None when allowed, else when the next one is."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            if len(self._sent) >= self.per_minute:
                return self._sent[0] + WINDOW
            self._sent.append(now)
            return None

    def remaining(self) -> int:
        """Calls left in the rolling minute."""
        with self._lock:
            self._expire(self.clock())
            return self.per_minute - len(self._sent)
