"""Template filters that turn stored values into words people read (``{% load linli_format %}``)."""

from __future__ import annotations

from django import template

from linli.core import useragent

register = template.Library()


@register.filter
def device(user_agent: str | None) -> str:
    """A session's User-Agent as "browser · system" ("Chrome · Android"), never the raw header."""
    return useragent.describe(user_agent or "")
