"""Reads for API-token management, scoped to the acting system administrator's areas (house
rule 4): a token, an owner or an area outside the administrator's remit is not found (404).

Kept apart from ``accounts/selectors.py`` so the token feature could be built in parallel with
the other account pages; merge when convenient."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from linli.accounts.models import ADMIN_ROLES, AccountKind, ApiToken, Role, RoleAssignment, User
from linli.accounts.scoping import OPERATIONAL_ROLES, scope_q
from linli.areas.models import Area, AreaKind

TOKEN_MANAGERS = frozenset({Role.SYSTEM_ADMIN})


def tokens_for(actor: Any) -> QuerySet[ApiToken]:
    """Tokens whose area lies in the actor's system-administrator areas, newest first."""
    return (
        ApiToken.objects.filter(scope_q(actor, TOKEN_MANAGERS, field="area__path"))
        .select_related("owner", "area")
        .order_by("-id")
    )


def get_token_for(actor: Any, token_id: int) -> ApiToken:
    token = tokens_for(actor).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


def token_areas_for(actor: Any) -> QuerySet[Area]:
    """Active areas a token may be scoped to: district down to grid, inside the actor's remit."""
    return Area.objects.filter(scope_q(actor, TOKEN_MANAGERS), is_active=True, kind__lte=AreaKind.GRID).order_by("path")


def get_token_area_for(actor: Any, area_id: int | None) -> Area | None:
    """The area with ``area_id`` when the actor may scope a token to it, else None."""
    if area_id is None:
        return None
    return Area.objects.filter(scope_q(actor, TOKEN_MANAGERS), is_active=True, pk=area_id).first()


def token_owners_for(actor: Any) -> QuerySet[User]:
    """Active staff accounts holding an operational role inside the actor's remit and no
    administrator role: the accounts a token may belong to."""
    operational_here = RoleAssignment.objects.active().filter(
        scope_q(actor, TOKEN_MANAGERS, field="area__path"), user_id=OuterRef("pk"), role__in=OPERATIONAL_ROLES
    )
    administrator = RoleAssignment.objects.active().filter(user_id=OuterRef("pk"), role__in=ADMIN_ROLES)
    return (
        User.objects.filter(kind=AccountKind.STAFF, is_active=True)
        .filter(Exists(operational_here))
        .exclude(Exists(administrator))
        .order_by("username")
    )


def get_token_owner_for(actor: Any, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    return token_owners_for(actor).filter(pk=owner_id).first()
