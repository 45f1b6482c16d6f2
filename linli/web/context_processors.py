"""Template context for the shell: navigation built from the module registry, the inbox badge.

Both are computed for every signed-in page, so both are lean (docs/modules.md, "Lean pages"):

* the navigation an account sees depends only on its audience, its roles and elderly mode (every
  navigation rule is a role check without an object). The entries are built once per such key and
  kept in the process (``_navigation_for``); the key is read from the current request's grants,
  so a granted or revoked role selects another entry on the very next request and nothing needs
  invalidating. Only "which entry is current" is worked out per request;
* the badge is the unread count, one hand-written query on the ``(recipient, read_at)`` index.

``base.html`` renders the menu's HTML once per ``Navigation.key`` (its entries' key and the current
entry) and the rest of the invariant shell once per language, elderly mode, audience and demo mode
(``linli.web.templatetags.linli_shell``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from linli.core import registry


class Navigation(list):  # type: ignore[type-arg]
    """The navigation entries, with ``key``: what they depend on (the cache key of the entries and
    the current one), so that ``base.html`` renders the menu once per key ({% shellcache %})."""

    key: tuple[Any, ...] = ()


def _entries(request: HttpRequest, user: Any, audience: registry.Audience, elderly: bool) -> Navigation:
    from linli.accounts.scoping import grants, is_second_factor_verified

    key = (
        audience,
        frozenset(grant.role for grant in grants(user)),
        bool(user.is_active),
        is_second_factor_verified(user),
        elderly,
        getattr(request, "urlconf", None) or settings.ROOT_URLCONF,
    )
    cached = _NAVIGATION.get(key)
    if cached is None:
        built = []
        for entry in registry.navigation(audience):
            if entry.rule and not user.has_perm(entry.rule):
                continue
            if elderly and not entry.elderly:
                continue
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            built.append((url, entry.label, entry.icon))
        cached = tuple(built)
        if len(_NAVIGATION) >= NAVIGATION_CACHE_SIZE:
            _NAVIGATION.clear()
        _NAVIGATION[key] = cached
    entries = Navigation({"url": url, "label": label, "icon": icon, "current": False} for url, label, icon in cached)
    # Only the entry with the longest matching URL is current (/residents/letters/ is not also
    # /residents/).
    matching = [entry for entry in entries if entry["url"] != "/" and request.path.startswith(entry["url"])]
    current = ""
    if matching:
        entry = max(matching, key=lambda entry: len(entry["url"]))
        entry["current"] = True
        current = entry["url"]
    entries.key = (key, current)
    return entries


NAVIGATION_CACHE_SIZE = 512
_NAVIGATION: dict[tuple[Any, ...], tuple[tuple[str, Any, str], ...]] = {}


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    elderly = bool(getattr(request, "elderly_mode", False))
    entries: list[dict[str, Any]] = Navigation()
    audience: registry.Audience | None = None
    unread = 0
    if user is not None and user.is_authenticated:
        from linli.accounts.scoping import is_second_factor_verified
        from linli.notify.selectors import unread_count_for

        audience = "staff" if user.kind == "staff" else "resident"
        if audience == "staff" and not is_second_factor_verified(user):
            # Signed in with the password only: nothing but the code step is reachable, so the
            # shell offers no menu and no inbox (issue 5, security finding 1).
            return {
                "navigation": entries,
                "audience": audience,
                "elderly_mode": elderly,
                "demo_mode": settings.DEMO_MODE,
                "unread_notifications": 0,
            }
        entries = _entries(request, user, audience, elderly)
        unread = unread_count_for(user)
    return {
        "navigation": entries,
        "audience": audience,
        "elderly_mode": elderly,
        "demo_mode": settings.DEMO_MODE,
        "unread_notifications": unread,
    }
