"""The role pages: fresh re-authentication before any change (A7), revocation effective on the next
request (B6), the searchable area select, and concurrent grants (B5 under a race)."""

from __future__ import annotations

import datetime
import threading
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test import Client

from linli import testing
from linli.accounts.actions import roles as role_actions
from linli.accounts.models import Role, RoleAssignment, StaffTOTPDevice
from linli.accounts.tests.conftest import error_messages, fresh_totp, new_client, staff_sign_in
from linli.areas.models import AreaKind
from linli.audit.models import AuditEvent

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def security_admin(tree, make_staff):  # type: ignore[no-untyped-def]
    return make_staff(Role.SECURITY_ADMIN, tree.district, username="sec.admin")


def assign_url(account: Any) -> str:
    return f"/accounts/staff/{account.pk}/roles/new/"


def reauthenticate(client: Client, user: Any) -> None:
    device = StaffTOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post(
        "/accounts/reauthenticate/",
        {"password": testing.STAFF_PASSWORD, "code": fresh_totp(device), "next": "/accounts/"},
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_granting_a_role_through_the_page(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(username="new.grid")
    with time_machine.travel(START, tick=False):
        client = staff_sign_in(security_admin)  # signing in counts as a fresh authentication
        page = client.get(assign_url(account))
        assert page.status_code == 200
        html = page.content.decode()
        assert tree.grid_a1.name in html
        assert tree.dwelling_a1.name not in html  # roles are never held below a grid
        response = client.post(assign_url(account), {"role": Role.GRID_WORKER, "area": tree.grid_a1.pk})
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/staff/{account.pk}/"
    assignment = RoleAssignment.objects.get(user=account)
    assert (assignment.role, assignment.area, assignment.granted_by) == (Role.GRID_WORKER, tree.grid_a1, security_admin)


@pytest.mark.django_db
def test_role_changes_need_a_fresh_authentication(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    held = RoleAssignment.objects.get(user=account)
    with time_machine.travel(START, tick=False) as traveller:
        client = staff_sign_in(security_admin)
        traveller.shift(datetime.timedelta(minutes=5, seconds=1))
        before = list(RoleAssignment.objects.values_list("id", "revoked_at"))

        for response in (
            client.get(assign_url(account)),
            client.post(assign_url(account), {"role": Role.GRID_WORKER, "area": tree.grid_a2.pk}),
        ):
            assert response.status_code == 302
            assert (
                response["Location"]
                == f"/accounts/reauthenticate/?next=%2Faccounts%2Fstaff%2F{account.pk}%2Froles%2Fnew%2F"
            )
        response = client.post(f"/accounts/staff/{account.pk}/roles/{held.pk}/revoke/")
        assert response["Location"] == f"/accounts/reauthenticate/?next=%2Faccounts%2Fstaff%2F{account.pk}%2F"
        assert list(RoleAssignment.objects.values_list("id", "revoked_at")) == before

        reauthenticate(client, security_admin)
        assert client.post(assign_url(account), {"role": Role.GRID_WORKER, "area": tree.grid_a2.pk}).status_code == 302
        assert client.post(f"/accounts/staff/{account.pk}/roles/{held.pk}/revoke/").status_code == 302
    assert list(RoleAssignment.objects.active().filter(user=account).values_list("area_id", flat=True)) == [
        tree.grid_a2.pk
    ]


@pytest.mark.django_db
def test_a_revoked_grid_worker_is_refused_on_the_next_request(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    """B6: grants are read per request, so the very next request after revocation is refused."""
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False):
        worker_client = staff_sign_in(worker)
        admin_client = staff_sign_in(security_admin)
        assert worker_client.get("/workbench/").status_code == 200
        assert worker_client.get("/residents/").status_code == 200

        held = RoleAssignment.objects.get(user=worker)
        assert (
            admin_client.post(f"/accounts/staff/{worker.pk}/roles/{held.pk}/revoke/", {"reason": "left"}).status_code
            == 302
        )

        assert worker_client.get("/residents/").status_code == 404
        assert worker_client.get("/workbench/").status_code == 404
        assert AuditEvent.objects.filter(event_type="authz.denied", actor=worker).count() == 2


@pytest.mark.django_db
def test_a_revoked_role_narrows_the_scope_on_the_next_request(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    from linli.accounts.scoping import scope_paths

    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    second = RoleAssignment.objects.create(user=worker, role=Role.GRID_WORKER, area=tree.grid_b1)
    with time_machine.travel(START, tick=False):
        client = staff_sign_in(worker)
        response = client.get("/workbench/")
        assert sorted(scope_paths(response.wsgi_request.user, {Role.GRID_WORKER})) == sorted(
            [tree.grid_a1.path, tree.grid_b1.path]
        )
        role_actions.do_revoke_role(second, acting_user=security_admin)
        response = client.get("/workbench/")
        assert scope_paths(response.wsgi_request.user, {Role.GRID_WORKER}) == [tree.grid_a1.path]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.STREET_OFFICER, Role.GRID_WORKER])
def test_only_the_security_admin_reaches_the_role_pages(tree, make_staff, role):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    held = RoleAssignment.objects.get(user=account)
    actor = make_staff(role, tree.district if role in {Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN} else tree.street)
    client = testing.client_for(actor)
    assert client.get(assign_url(account)).status_code == 404
    assert client.post(assign_url(account), {"role": Role.GRID_WORKER, "area": tree.grid_a2.pk}).status_code == 404
    assert client.post(f"/accounts/staff/{account.pk}/roles/{held.pk}/revoke/").status_code == 404
    assert list(RoleAssignment.objects.filter(user=account).values_list("id", "revoked_at")) == [(held.pk, None)]


@pytest.mark.django_db
def test_refusals_are_shown_on_the_form(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    administrator = make_staff(Role.SYSTEM_ADMIN, tree.district)
    client = testing.sign_in(new_client(), security_admin)
    response = client.post(assign_url(administrator), {"role": Role.AUDIT_ADMIN, "area": tree.district.pk})
    assert response.status_code == 422
    assert error_messages(response) == [
        "An account may hold only one of the system, security and audit administrator roles."
    ]
    response = client.post(assign_url(security_admin), {"role": Role.STREET_OFFICER, "area": tree.street.pk})
    assert response.status_code == 403
    assert error_messages(response) == ["You cannot change your own roles."]
    response = client.post(assign_url(make_staff()), {"role": Role.DEPARTMENT_OFFICER, "area": tree.street.pk})
    assert response.status_code == 422
    assert error_messages(response) == ["A department officer needs a department."]
    assert RoleAssignment.objects.filter(granted_by=security_admin).count() == 0


@pytest.mark.django_db
def test_out_of_remit_accounts_areas_and_roles_answer_404(tree, make_staff):  # type: ignore[no-untyped-def]
    other_street = testing.create_area(AreaKind.STREET, "002", "酒仙桥街道", tree.district)
    other_community = testing.create_area(AreaKind.COMMUNITY, "001", "驼房营社区", other_street)
    street_admin = make_staff(Role.SECURITY_ADMIN, tree.street)
    outsider = make_staff(Role.COMMUNITY_WORKER, other_community)
    newcomer = make_staff()
    client = testing.client_for(street_admin)
    held = RoleAssignment.objects.get(user=outsider)
    assert client.get(f"/accounts/staff/{outsider.pk}/").status_code == 404
    assert client.get(assign_url(outsider)).status_code == 404
    assert client.post(f"/accounts/staff/{outsider.pk}/roles/{held.pk}/revoke/").status_code == 404
    # an area outside the remit is not a valid choice
    response = client.post(assign_url(newcomer), {"role": Role.COMMUNITY_WORKER, "area": other_community.pk})
    assert response.status_code == 422
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    options = client.get("/accounts/staff/areas/", {"area_search": "驼房营"}).content.decode()
    assert "驼房营社区" not in options
    assert held.revoked_at is None


@pytest.mark.django_db
def test_the_area_select_searches_names_and_codes(tree, security_admin):  # type: ignore[no-untyped-def]
    client = testing.client_for(security_admin)
    by_name = client.get("/accounts/staff/areas/", {"area_search": "南湖"}, HTTP_HX_REQUEST="true")
    assert by_name.status_code == 200
    html = by_name.content.decode()
    assert f'value="{tree.community_b.pk}"' in html
    assert f'value="{tree.grid_b1.pk}"' in html
    assert f'value="{tree.community_a.pk}"' not in html
    by_code = client.get("/accounts/staff/areas/", {"area_search": "110105"}).content.decode()
    assert f'value="{tree.district.pk}"' in by_code
    assert f'value="{tree.street.pk}"' not in by_code
    # the current choice stays selected while the list narrows
    kept = client.get("/accounts/staff/areas/", {"area_search": "南湖", "area": tree.grid_a1.pk}).content.decode()
    assert f'<option value="{tree.grid_a1.pk}" selected>' in kept
    nothing = client.get("/accounts/staff/areas/", {"area_search": "no such place"}).content.decode()
    assert "No area matches" in nothing or "没有" in nothing


def _concurrent_grants(tree: Any, security_admin: Any, account: Any) -> list[str]:
    """Two administrators' requests grant two different administrator roles to one account at the
    same moment. The first holds the account's row lock while the second waits."""
    original = role_actions.check_separation_of_duties
    first_locked = threading.Event()
    results: list[str] = []

    def slow_check(held: set[str], role: str) -> None:
        original(held, role)
        if threading.current_thread().name == "first":
            first_locked.set()
            threading.Event().wait(0.5)  # keep the lock while the second request arrives

    def grant(role: str) -> None:
        try:
            if threading.current_thread().name == "second":
                first_locked.wait(5)
            role_actions.do_assign_role(account, role=role, area=tree.district, acting_user=security_admin)
            results.append(f"{role}:granted")
        except role_actions.ValidationFailed as error:
            results.append(f"{role}:{error.code}")
        finally:
            connection.close()

    with mock.patch.object(role_actions, "check_separation_of_duties", slow_check):
        threads = [
            threading.Thread(target=grant, args=(Role.AUDIT_ADMIN,), name="first"),
            threading.Thread(target=grant, args=(Role.SYSTEM_ADMIN,), name="second"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_cannot_give_one_account_two_administrator_roles(make_staff):  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite" and "mode=memory" in str(connection.settings_dict["NAME"]):
        # shared-cache in-memory SQLite answers "table is locked" instead of waiting; a file
        # database (production) serialises writers with BEGIN IMMEDIATE and the busy timeout
        pytest.skip("needs PostgreSQL or a file SQLite database; CI runs it on PostgreSQL")
    tree = testing.build_tree()
    security_admin = make_staff(Role.SECURITY_ADMIN, tree.district)
    account = make_staff()
    results = _concurrent_grants(tree, security_admin, account)
    assert sorted(results) == sorted([f"{Role.AUDIT_ADMIN}:granted", f"{Role.SYSTEM_ADMIN}:admin_roles_exclusive"])
    assert list(RoleAssignment.objects.active().filter(user=account).values_list("role", flat=True)) == [
        Role.AUDIT_ADMIN
    ]
