"""Client-side rate limiting: a token bucket (HubSpot's per-10-second limit) and a
governor that reads Salesforce's ``Sforce-Limit-Info: api-usage=N/M`` and slows down
before the org's daily limit is reached.

>>> clock = [0.0]; slept = []
>>> bucket = TokenBucket(2, 10.0, clock=lambda: clock[0], sleep=slept.append)
>>> bucket.acquire(); bucket.acquire(); bucket.acquire()
>>> slept
[10.0]
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable

import httpx

from inkstream.errors import CrmRateLimited

__all__ = ["TokenBucket", "SalesforceGovernor", "parse_retry_after"]


class TokenBucket:
    """At most ``capacity`` requests in any ``period_s`` window; ``acquire`` waits.

    Each spent token comes back exactly ``period_s`` after it was spent. A bucket that
    refills continuously (capacity/period per second) would allow a burst of
    ``capacity`` plus the refill inside one rolling window, which is what HubSpot's
    ten-second rolling limit answers with 429."""

    def __init__(self, capacity: int, period_s: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.capacity, self.period_s = int(capacity), float(period_s)
        self._spent: deque[float] = deque()
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            while self._spent and self._spent[0] <= now - self.period_s:
                self._spent.popleft()
            wait = 0.0
            if len(self._spent) >= self.capacity:
                wait = self._spent[0] + self.period_s - now
                self._spent.popleft()
            self._spent.append(now + wait)
        if wait > 0:
            self._sleep(wait)

    def observe(self, response: httpx.Response) -> None:
        """HubSpot says how many calls are left in its window
        (``X-HubSpot-RateLimit-Remaining`` / ``-Interval-Milliseconds``); when another
        client of the same app used them up, wait out the window instead of hitting 429."""
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if remaining is None or interval is None or not remaining.lstrip("-").isdigit() or not interval.isdigit():
            return
        if int(remaining) <= 0:
            with self._lock:
                until = self._clock() + int(interval) / 1000.0
                self._spent = deque([until - self.period_s] * self.capacity)


_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceGovernor:
    """Paces requests as the org's API usage nears its limit.

    Below ``soft`` of the limit: no delay. Between ``soft`` and ``hard``: a delay that grows
    linearly to ``max_delay_s``. At ``hard`` and above: CrmRateLimited(pause_s) so the
    runtime pauses consumption instead of burning the last calls of the day."""

    def __init__(self, *, soft: float = 0.8, hard: float = 0.95, max_delay_s: float = 2.0,
                 pause_s: float = 300.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.soft, self.hard, self.max_delay_s, self.pause_s = soft, hard, max_delay_s, pause_s
        self.used: int | None = None
        self.limit: int | None = None
        self._sleep = sleep

    @property
    def ratio(self) -> float:
        return (self.used or 0) / self.limit if self.limit else 0.0

    def observe(self, response: httpx.Response) -> None:
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.used, self.limit = int(match.group(1)), int(match.group(2))

    def acquire(self) -> None:
        ratio = self.ratio
        if ratio >= self.hard:
            raise CrmRateLimited(f"Salesforce API usage {self.used}/{self.limit} is at {ratio:.0%}",
                                 retry_after=self.pause_s, status=None)
        if ratio > self.soft:
            self._sleep(self.max_delay_s * (ratio - self.soft) / (self.hard - self.soft))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
