"""The caller's own account: profile (masked) and the two display preferences."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from linli.accounts.actions.preferences import do_update_preferences
from linli.accounts.models import Role
from linli.accounts.scoping import grants
from linli.api.schemas import MeOut, PreferencesIn, RoleOut, error_responses
from linli.areas.models import Area
from linli.privacy.masking import mask_email, mask_phone

router = Router(tags=["me"])


def me_payload(user: Any) -> MeOut:
    effective = grants(user)
    names = (
        dict(Area.objects.filter(pk__in={grant.area_id for grant in effective}).values_list("id", "name"))
        if effective
        else {}
    )
    roles: list[RoleOut] = []
    seen: set[tuple[str, int, int | None]] = set()
    for grant in effective:
        key = (grant.role, grant.area_id, grant.department_id)
        if key in seen:
            continue
        seen.add(key)
        roles.append(
            RoleOut(
                role=grant.role,
                role_label=str(Role(grant.role).label),
                area_id=grant.area_id,
                area_name=names.get(grant.area_id, ""),
                department_id=grant.department_id,
            )
        )
    token = getattr(user, "linli_api_token", None)
    return MeOut(
        id=user.pk,
        username=user.username,
        kind=user.kind,
        display_name=user.display_name,
        phone_masked=mask_phone(user.phone),
        email_masked=mask_email(user.email),
        language=user.language,
        elderly_mode=user.elderly_mode,
        notify_by_sms=user.notify_by_sms,
        notify_by_email=user.notify_by_email,
        roles=roles,
        token_area_id=token.area_id if token is not None else None,
    )


@router.get("/me", response={200: MeOut, **error_responses(401, 429)}, summary="My profile")
def get_me(request: HttpRequest) -> MeOut:
    """The signed-in account: masked phone and e-mail, effective roles, display preferences."""
    return me_payload(request.user)


@router.patch(
    "/me/preferences",
    response={200: MeOut, **error_responses(400, 401, 403, 422, 429)},
    summary="Change my preferences",
)
def update_preferences(request: HttpRequest, payload: PreferencesIn) -> MeOut:
    """Change ``language`` and/or ``elderly_mode``. Any other field is refused with 422 and
    nothing changes."""
    changes = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    if changes:
        do_update_preferences(request.user, **changes)  # type: ignore[arg-type]
    return me_payload(request.user)
