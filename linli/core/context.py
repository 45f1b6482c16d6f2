"""Per-request context (request id, source IP, user agent) available to actions and audit.

Set by ``RequestContextMiddleware``; jobs and commands run with an empty context, so audit events
they write carry ``source='job'`` or ``source='command'``.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source_ip: str | None = None
    user_agent: str = ""
    source: str = "web"


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("linli_request", default=None)


def current() -> RequestContext:
    return _current.get() or RequestContext(source="system")


@contextmanager
def bind(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
