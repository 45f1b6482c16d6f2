"""URLs of many rows without one ``reverse()`` per row (docs/modules.md, "Lean pages")."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_PLACEHOLDER = "999999999"


def id_url(view_name: str, kwarg: str) -> Callable[[int], str]:
    """``reverse(view_name, kwargs={kwarg: value})`` for many values: the view is reversed once
    (with a placeholder id) and each call only fills in the value, which must be an integer id."""
    head, tail = reverse(view_name, kwargs={kwarg: int(_PLACEHOLDER)}).rsplit(_PLACEHOLDER, 1)

    def url(value: int) -> str:
        return f"{head}{int(value)}{tail}"

    return url
