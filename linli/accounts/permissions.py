"""Named permission rules for the foundation (house rule 5). Each rule is used both to check an
object at the boundary and, through ``linli.accounts.scoping.scope_q``, to filter querysets.

Rules with an object check the object's area against the actor's role areas; called without an
object they answer "does the actor hold such a role anywhere" (for navigation and list pages)."""

from __future__ import annotations

from typing import Any

import rules

from linli.accounts.models import Role
from linli.accounts.scoping import OPERATIONAL_ROLES, holds_role_over, roles_of

AREA_EDITORS = frozenset({Role.STREET_OFFICER, Role.SYSTEM_ADMIN})
RESIDENT_VERIFIERS = frozenset({Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER, Role.STREET_OFFICER})
LETTER_ISSUERS = frozenset({Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER, Role.STREET_OFFICER})
PHONE_REVEALERS = RESIDENT_VERIFIERS
ID_NUMBER_REVEALERS = frozenset({Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER, Role.STREET_OFFICER})
AREA_VIEWERS = OPERATIONAL_ROLES | {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN}


def role_at_area(name: str, roles: frozenset[str]) -> Any:
    """Build a predicate: the actor holds one of ``roles`` at an area containing the object."""

    @rules.predicate(name=name)
    def predicate(user: Any, obj: Any = None) -> bool:
        if obj is None:
            return bool(roles_of(user) & roles)
        return holds_role_over(user, roles, obj)

    return predicate


def holds_role(name: str, roles: frozenset[str]) -> Any:
    @rules.predicate(name=name)
    def predicate(user: Any) -> bool:
        return bool(roles_of(user) & roles)

    return predicate


@rules.predicate
def is_resident(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.kind == "resident")


@rules.predicate
def is_verified_staff(user: Any) -> bool:
    return bool(roles_of(user))


can_view_area = role_at_area("can_view_area", AREA_VIEWERS)
can_edit_area = role_at_area("can_edit_area", AREA_EDITORS)
can_verify_residents = role_at_area("can_verify_residents", RESIDENT_VERIFIERS)
can_issue_letters = role_at_area("can_issue_letters", LETTER_ISSUERS)
can_reveal_phone = role_at_area("can_reveal_phone", PHONE_REVEALERS)
can_reveal_id_number = role_at_area("can_reveal_id_number", ID_NUMBER_REVEALERS)
is_system_admin = holds_role("is_system_admin", frozenset({Role.SYSTEM_ADMIN}))
is_security_admin = holds_role("is_security_admin", frozenset({Role.SECURITY_ADMIN}))

rules.add_perm("areas.view_area", can_view_area)
rules.add_perm("areas.change_area", can_edit_area)
rules.add_perm("areas.import_areas", can_edit_area)
rules.add_perm("accounts.use_workbench", is_verified_staff)
rules.add_perm("accounts.use_resident_services", is_resident)
rules.add_perm("accounts.view_residents", can_verify_residents)
rules.add_perm("accounts.verify_resident", can_verify_residents)
rules.add_perm("accounts.issue_letter", can_issue_letters)
rules.add_perm("accounts.manage_staff", is_system_admin)
rules.add_perm("accounts.assign_roles", is_security_admin)
rules.add_perm("accounts.manage_api_tokens", is_system_admin)
rules.add_perm("privacy.reveal_phone", can_reveal_phone)
rules.add_perm("privacy.reveal_id_number", can_reveal_id_number)

# Staff administration (三员): the system administrator manages accounts, the security
# administrator grants roles and resets second factors; both see the staff list of their remit.
rules.add_perm("accounts.view_staff", is_system_admin | is_security_admin)
rules.add_perm("accounts.reset_second_factor", is_security_admin)
