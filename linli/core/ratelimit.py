"""Fixed-window counters in the Django cache (database cache by default, Redis when configured),
shared by every worker process."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _key(scope: str, identity: str, window_seconds: int) -> str:
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{window}"


def increment(scope: str, identity: str, *, window_seconds: int) -> int:
    """Count one event in the current fixed window and return the count so far. Increments first
    (the common case: the counter exists), creating the counter only when it is missing."""
    key = _key(scope, identity, window_seconds)
    try:
        return int(cache.incr(key))
    except ValueError:
        if cache.add(key, 1, timeout=window_seconds):
            return 1
        return int(cache.incr(key))  # another process created it in between


def hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event; return False when the limit for this window is exceeded."""
    return increment(scope, identity, window_seconds=window_seconds) <= limit


def count(scope: str, identity: str, *, window_seconds: int) -> int:
    return int(cache.get(_key(scope, identity, window_seconds), 0))


def exceeded(scope: str, identity: str, *, limit: int, window_seconds: int) -> bool:
    return count(scope, identity, window_seconds=window_seconds) >= limit
