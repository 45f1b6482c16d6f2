"""API-token management for system administrators (SECURITY.md A3, A7, B4).

Web session only: a token can neither list, mint nor revoke tokens. Issuing needs fresh
re-authentication (401 ``reauthentication_required`` otherwise — confirm at
``/accounts/reauthenticate/`` and retry within 5 minutes); the secret is in the 201 answer
once and never again. Tokens outside the administrator's areas answer 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from linli.accounts import selectors_tokens as selectors
from linli.accounts.actions.tokens import do_issue_api_token, do_revoke_api_token, token_status
from linli.accounts.models import ApiToken
from linli.api.auth import SESSION_ONLY, require
from linli.api.pagination import paginate
from linli.api.schemas import PageQuery, TokenCreatedOut, TokenIn, TokenOut, TokenPage, error_responses

router = Router(tags=["tokens"], auth=SESSION_ONLY)
RULE = "accounts.manage_api_tokens"


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "owner_id": token.owner_id,
        "owner_username": token.owner.username,
        "area_id": token.area_id,
        "area_name": token.area.name,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "status": token_status(token),
    }


@router.get("/tokens", response={200: TokenPage, **error_responses(401, 403, 422, 429)}, summary="List API tokens")
def list_tokens(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Tokens scoped to areas in my system-administrator remit, newest first."""
    require(request, RULE)
    result = paginate(selectors.tokens_for(request.user), page)
    result["items"] = [token_out(token) for token in result["items"]]
    return result


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, **error_responses(400, 401, 403, 422, 429)},
    summary="Issue an API token",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Issue a token owned by a staff (service) account, scoped to an area inside the owner's
    role areas. Needs fresh re-authentication. The ``token`` field is shown only here."""
    require(request, RULE)
    issued = do_issue_api_token(
        request,
        owner=selectors.get_token_owner_for(request.user, payload.owner_id),
        area=selectors.get_token_area_for(request.user, payload.area_id),
        name=payload.name,
        lifetime_days=payload.expires_in_days,
    )
    return Status(201, {**token_out(issued.token), "token": issued.plaintext})


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenOut, **error_responses(401, 403, 404, 422, 429)},
    summary="Revoke an API token",
)
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """Revoke a token now; its next request answers 401. Revoking again changes nothing."""
    require(request, RULE)
    token = selectors.get_token_for(request.user, token_id)
    return token_out(do_revoke_api_token(token, acting_user=request.user))
