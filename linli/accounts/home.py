"""Resident home cards of the accounts module: "My home" (我的房屋), the resident's linked homes
and the state of each verification."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from linli.accounts.selectors_residents import links_of_resident


def my_home(request: HttpRequest) -> dict[str, Any]:
    """Always shown to residents. Without a verified or pending home it invites them to link one;
    with one, it only offers to link another home."""
    links = links_of_resident(request.user)  # type: ignore[arg-type]
    return {"links": links, "has_home": any(link.status in ("pending", "verified") for link in links)}
