"""Template context for the shell: navigation built from the module registry."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from linli.core import registry


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    elderly = bool(getattr(request, "elderly_mode", False))
    entries: list[dict[str, Any]] = []
    audience: registry.Audience | None = None
    if user is not None and user.is_authenticated:
        audience = "staff" if user.kind == "staff" else "resident"
        for entry in registry.navigation(audience):
            if entry.rule and not user.has_perm(entry.rule):
                continue
            if elderly and not entry.elderly:
                continue
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            entries.append(
                {
                    "url": url,
                    "label": entry.label,
                    "icon": entry.icon,
                    "current": False,
                }
            )
        # Only the entry with the longest matching URL is current (/residents/letters/ is not also
        # /residents/).
        matching = [entry for entry in entries if entry["url"] != "/" and request.path.startswith(entry["url"])]
        if matching:
            max(matching, key=lambda entry: len(entry["url"]))["current"] = True
    unread = 0
    if user is not None and user.is_authenticated:
        from linli.notify.selectors import unread_count_for

        unread = unread_count_for(user)
    return {
        "navigation": entries,
        "audience": audience,
        "elderly_mode": elderly,
        "demo_mode": settings.DEMO_MODE,
        "unread_notifications": unread,
    }
