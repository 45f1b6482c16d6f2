"""API throttles (SECURITY.md G2; OWASP API4 unrestricted resource consumption).

* ``AnonymousThrottle``: per source IP at ``settings.LINLI_API_RATE_ANONYMOUS`` (default 60/min).
  It applies to every request without valid credentials — the 401 handler consults it, so token
  guessing and unauthenticated floods get 429 — and to the OpenAPI schema.
* ``AuthenticatedThrottle``: per account at ``settings.LINLI_API_RATE_AUTHENTICATED`` (default
  600/min), whether the request came with a session or a token.

They plug into django-ninja's throttle hook (``BaseThrottle``) but count in fixed windows in
the shared Django cache (as ``linli.core.ratelimit`` does) instead of ninja's
``SimpleRateThrottle``, for three reasons: ninja keeps per-request state on the shared throttle
instance (unsafe under threaded servers), rewrites a list of every request's timestamp per call
(600 floats per request at our default rate), and by default trusts ``X-Forwarded-For`` from the
client. Rates are read from settings on every request, so operators and tests can change them
without a restart of the module. A fixed window may admit up to twice the rate across a window
boundary; that is acceptable for abuse protection.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from linli.core import ratelimit
from linli.core.middleware import client_ip

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/min"`` → (60, 60). Accepts ``N/s|sec|m|min|h|hour|d|day`` and ``N/<k><unit>``."""
    count_text, _, period_text = rate.strip().partition("/")
    period_text = period_text.strip().lower()
    multiplier_text = ""
    while period_text and period_text[0].isdigit():
        multiplier_text += period_text[0]
        period_text = period_text[1:]
    if period_text not in PERIODS or not count_text.strip().isdigit():
        raise ValueError(f"invalid rate {rate!r}")
    return int(count_text), PERIODS[period_text] * int(multiplier_text or 1)


def count_hit(scope: str, identity: str, window: int) -> int:
    """Count one request in the current fixed window and return the count so far. Increments
    first (one read and one write on the database cache; one round trip on Redis) and creates the
    counter only at the start of a window."""
    return ratelimit.increment(scope, identity, window_seconds=window)


class _SettingsRateThrottle(BaseThrottle):
    scope = ""
    setting = ""

    def rate(self) -> tuple[int, int]:
        return parse_rate(str(getattr(settings, self.setting)))

    @abstractmethod
    def identity(self, request: HttpRequest) -> str | None:
        """Who is counted: an IP for anonymous callers, an account for signed-in ones."""

    def get_ident(self, request: HttpRequest) -> str | None:
        return client_ip(request) or "unknown"

    def allow_request(self, request: HttpRequest) -> bool:
        identity = self.identity(request)
        if identity is None:
            return True
        limit, window = self.rate()
        return count_hit(f"api-{self.scope}", identity, window) <= limit

    def wait(self) -> float | None:
        _, window = self.rate()
        return window - (time.time() % window)


class AnonymousThrottle(_SettingsRateThrottle):
    scope = "anonymous"
    setting = "LINLI_API_RATE_ANONYMOUS"

    def identity(self, request: HttpRequest) -> str | None:
        if getattr(request, "auth", None) is not None:
            return None
        return self.get_ident(request)


class AuthenticatedThrottle(_SettingsRateThrottle):
    scope = "authenticated"
    setting = "LINLI_API_RATE_AUTHENTICATED"

    def identity(self, request: HttpRequest) -> str | None:
        user: Any = getattr(request, "auth", None)
        if user is None or getattr(user, "pk", None) is None:
            return None
        return f"user:{user.pk}"
