"""The staff administration pages (SECURITY.md B2, B4, D4): who reaches them, what they show,
their filters and query counts, and the forms that call the staff actions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine

from linli import testing
from linli.accounts.models import Role, RoleAssignment, StaffTOTPDevice, User, UserSession
from linli.accounts.tests.conftest import error_messages, new_client, staff_sign_in
from linli.areas.models import AreaKind
from linli.audit.models import AuditEvent

LIST_URL = "/accounts/staff/"
CREATE_URL = "/accounts/staff/new/"
PASSWORD = "Spring-Garden-2026"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def system_admin(tree, make_staff):  # type: ignore[no-untyped-def]
    return make_staff(Role.SYSTEM_ADMIN, tree.district, username="sys.admin")


@pytest.fixture
def security_admin(tree, make_staff):  # type: ignore[no-untyped-def]
    return make_staff(Role.SECURITY_ADMIN, tree.district, username="sec.admin")


def client_for(user: User) -> Any:
    return testing.sign_in(new_client(), user)


def detail_url(account: User) -> str:
    return f"/accounts/staff/{account.pk}/"


# --- who reaches the pages (B4) ------------------------------------------------------------------

PAGES = [
    ("get", LIST_URL),
    ("get", CREATE_URL),
    ("get", "{detail}"),
    ("get", "{detail}password/"),
    ("get", "{detail}roles/new/"),
    ("get", "/accounts/staff/areas/"),
    ("post", "{detail}disable/"),
    ("post", "{detail}second-factor/reset/"),
]
ALLOWED = {
    Role.SYSTEM_ADMIN: {
        LIST_URL,
        CREATE_URL,
        "{detail}",
        "{detail}password/",
        "/accounts/staff/areas/",
        "{detail}disable/",
    },
    Role.SECURITY_ADMIN: {
        LIST_URL,
        "{detail}",
        "{detail}roles/new/",
        "/accounts/staff/areas/",
        "{detail}second-factor/reset/",
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_only_the_matching_administrator_reaches_each_page(tree, make_staff, role):  # type: ignore[no-untyped-def]
    target = make_staff(Role.GRID_WORKER, tree.grid_a1)
    area = {AreaKind.GRID: tree.grid_a1, AreaKind.COMMUNITY: tree.community_a}
    place = tree.district if role in {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN} else tree.street
    if role == Role.GRID_WORKER:
        place = area[AreaKind.GRID]
    elif role in {Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER}:
        place = area[AreaKind.COMMUNITY]
    actor = make_staff(role, place, department=tree.department if role == Role.DEPARTMENT_OFFICER else None)
    client = client_for(actor)
    for method, template in PAGES:
        path = template.format(detail=detail_url(target))
        data = {"reason": "checking access"} if method == "post" else {}
        response = getattr(client, method)(path, data)
        if template in ALLOWED.get(role, set()):
            assert response.status_code in {200, 302}, (role, path, response.status_code)
        else:
            assert response.status_code == 404, (role, path, response.status_code)
    target.refresh_from_db()
    assert target.is_active == (role != Role.SYSTEM_ADMIN)
    assert StaffTOTPDevice.objects.filter(user=target).exists() == (role != Role.SECURITY_ADMIN)


@pytest.mark.django_db
def test_residents_and_visitors_reach_no_staff_page(tree, system_admin, make_resident):  # type: ignore[no-untyped-def]
    resident_client = client_for(make_resident())
    assert resident_client.get(LIST_URL).status_code == 404
    assert resident_client.get(detail_url(system_admin)).status_code == 404
    response = new_client().get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_navigation_offers_the_staff_pages_to_administrators_only(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    assert f'href="{LIST_URL}"' in client_for(system_admin).get("/accounts/").content.decode()
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    assert f'href="{LIST_URL}"' not in client_for(officer).get("/accounts/").content.decode()


# --- the list ----------------------------------------------------------------------------------------


def make_many(tree: Any, count: int) -> list[User]:
    grids = [tree.grid_a1, tree.grid_a2, tree.grid_b1]
    return [
        testing.make_staff(Role.GRID_WORKER, grids[number % 3], username=f"grid.{number:03d}")
        for number in range(count)
    ]


@pytest.mark.django_db
def test_the_list_query_count_does_not_grow_with_the_accounts(tree, system_admin, django_assert_num_queries):  # type: ignore[no-untyped-def]
    """Session, user, OTP device and session record (one query once the session is known); grants,
    unread count, the count and the page, the roles of the page (one prefetch), the area options: 7
    whatever the number of accounts."""
    make_many(tree, 5)
    client = client_for(system_admin)
    client.get(LIST_URL)  # the first request may write the session's activity time
    client.get(LIST_URL)
    with django_assert_num_queries(7):
        assert client.get(LIST_URL).status_code == 200
    for number in range(40):
        testing.make_staff(Role.COMMUNITY_WORKER, tree.community_b, username=f"community.{number:03d}")
    with django_assert_num_queries(7):
        response = client.get(LIST_URL, {"role": Role.COMMUNITY_WORKER, "text": "community"})
    assert len(response.context["page"]) == 25
    with django_assert_num_queries(8):  # + validating the chosen area
        response = client.get(LIST_URL, {"area": tree.community_b.pk, "page": 2})
    assert len(response.context["page"]) == 16  # 40 community workers and grid.002 in grid B1


@pytest.mark.django_db
def test_the_list_is_paginated(tree, system_admin):  # type: ignore[no-untyped-def]
    make_many(tree, 30)
    client = client_for(system_admin)
    first = client.get(LIST_URL).content.decode()
    assert "31 accounts" in first  # 30 and the administrator
    assert "grid.000" in first
    assert "grid.029" not in first
    second = client.get(LIST_URL, {"page": 2}).content.decode()
    assert "grid.029" in second
    assert "grid.000" not in second


@pytest.mark.django_db
def test_the_list_filters_by_name_role_area_and_status(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    wang = make_staff(Role.GRID_WORKER, tree.grid_a1, username="wang.fang")
    User.objects.filter(pk=wang.pk).update(display_name="王芳")
    make_staff(Role.COMMUNITY_WORKER, tree.community_b, username="li.qiang")
    zhao = make_staff(Role.DEPARTMENT_OFFICER, tree.street, department=tree.department, username="zhao.min")
    User.objects.filter(pk=zhao.pk).update(is_active=False)
    client = client_for(system_admin)

    def names(**query: Any) -> set[str]:
        response = client.get(LIST_URL, query)
        assert response.status_code == 200
        page = response.context["page"]
        return {account.username for account in page}

    assert names() == {"sys.admin", "wang.fang", "li.qiang", "zhao.min"}
    assert names(text="王芳") == {"wang.fang"}
    assert names(text="QIANG") == {"li.qiang"}
    assert names(role=Role.COMMUNITY_WORKER) == {"li.qiang"}
    assert names(area=tree.community_a.pk) == {"wang.fang"}
    assert names(area=tree.community_b.pk) == {"li.qiang"}
    assert names(area=tree.street.pk) == {"wang.fang", "li.qiang", "zhao.min"}
    assert names(area=tree.street.pk, role=Role.GRID_WORKER) == {"wang.fang"}
    assert names(status="disabled") == {"zhao.min"}
    assert names(status="active", area=tree.street.pk) == {"wang.fang", "li.qiang"}


@pytest.mark.django_db
def test_the_list_shows_only_accounts_inside_the_admins_area(tree, make_staff):  # type: ignore[no-untyped-def]
    other_street = testing.create_area(AreaKind.STREET, "002", "酒仙桥街道", tree.district)
    street_admin = make_staff(Role.SYSTEM_ADMIN, tree.street, username="street.admin")
    inside = make_staff(Role.GRID_WORKER, tree.grid_a1, username="inside")
    outside = make_staff(Role.STREET_OFFICER, other_street, username="outside")
    both = make_staff(Role.GRID_WORKER, tree.grid_b1, username="both")
    RoleAssignment.objects.create(user=both, role=Role.STREET_OFFICER, area=other_street)
    new = make_staff(username="no.role.yet")
    client = client_for(street_admin)
    page = client.get(LIST_URL).context["page"]
    assert {account.username for account in page} == {"street.admin", "inside", "no.role.yet"}
    assert client.get(detail_url(outside)).status_code == 404
    assert client.get(detail_url(both)).status_code == 404
    assert client.get(detail_url(inside)).status_code == 200
    assert client.get(detail_url(new)).status_code == 200
    # an area outside the remit is not a valid filter value
    assert list(client.get(LIST_URL, {"area": other_street.pk}).context["form"].errors) == ["area"]


@pytest.mark.django_db
def test_personal_data_is_masked(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    User.objects.filter(pk=account.pk).update(phone="13912345678", email="li.na@example.cn")
    html = client_for(system_admin).get(detail_url(account)).content.decode()
    assert "139****5678" in html
    assert "13912345678" not in html
    assert "li.na@example.cn" not in html


# --- forms -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_an_account_through_the_form(system_admin):  # type: ignore[no-untyped-def]
    client = client_for(system_admin)
    assert client.get(CREATE_URL).status_code == 200
    response = client.post(
        CREATE_URL,
        {"username": "chen.jing", "display_name": "陈静", "password": PASSWORD, "password_again": PASSWORD},
    )
    account = User.objects.get(username="chen.jing")
    assert response.status_code == 302
    assert response["Location"] == detail_url(account)
    assert account.password_changed_at is None
    detail = client.get(detail_url(account)).content.decode()
    assert "must be changed at next sign-in" in detail
    assert "not set up yet" in detail


@pytest.mark.django_db
def test_the_create_form_shows_refusals(system_admin, make_staff):  # type: ignore[no-untyped-def]
    make_staff(username="taken.name")
    client = client_for(system_admin)
    cases = [
        (
            {"password": "short", "password_again": "short"},
            422,
            "This password is too short. It must contain at least 12 characters.",
        ),
        ({"password": PASSWORD, "password_again": PASSWORD + "x"}, 422, "The two passwords differ."),
        ({"username": "taken.name"}, 409, "This username is taken."),
    ]
    for overrides, status, message in cases:
        data = {"username": "chen.jing", "display_name": "陈静", "password": PASSWORD, "password_again": PASSWORD}
        data.update(overrides)
        response = client.post(CREATE_URL, data)
        assert response.status_code == status
        assert message in " ".join(error_messages(response))
    assert not User.objects.filter(username="chen.jing").exists()


@pytest.mark.django_db
def test_disabling_and_enabling_through_the_detail_page(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False):
        worker = staff_sign_in(account)
        admin = client_for(system_admin)
        response = admin.post(f"{detail_url(account)}disable/", {"reason": "x"})
        assert response.status_code == 422
        assert worker.get("/workbench/").status_code == 200
        response = admin.post(f"{detail_url(account)}disable/", {"reason": "left the office"})
        assert response.status_code == 302
        assert worker.get("/workbench/").status_code == 302
        assert UserSession.objects.filter(user=account, ended_at__isnull=True).count() == 0
        detail = admin.get(detail_url(account)).content.decode()
        assert "left the office" in detail
        assert admin.post(f"{detail_url(account)}enable/", {"reason": "came back"}).status_code == 302
    account.refresh_from_db()
    assert account.is_active
    events = AuditEvent.objects.filter(object_id=str(account.pk), event_type__startswith="account.").order_by("id")
    assert [event.event_type for event in events] == [
        "account.disabled",
        "account.enabled",
    ]


@pytest.mark.django_db
def test_an_admin_does_not_disable_themselves_from_the_page(system_admin):  # type: ignore[no-untyped-def]
    client = client_for(system_admin)
    html = client.get(detail_url(system_admin)).content.decode()
    assert "disable/" not in html
    response = client.post(f"{detail_url(system_admin)}disable/", {"reason": "let me out"})
    assert response.status_code == 422
    assert error_messages(response) == ["You cannot disable your own account."]
    system_admin.refresh_from_db()
    assert system_admin.is_active


@pytest.mark.django_db
def test_setting_a_new_initial_password(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = client_for(system_admin)
    url = f"{detail_url(account)}password/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"password": "weak", "password_again": "weak"}).status_code == 422
    assert client.post(url, {"password": PASSWORD, "password_again": PASSWORD}).status_code == 302
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    assert account.password_changed_at is None


@pytest.mark.django_db
def test_resetting_a_second_factor_needs_a_fresh_authentication(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    url = f"{detail_url(account)}second-factor/reset/"
    with time_machine.travel(START, tick=False) as traveller:
        client = staff_sign_in(security_admin)
        traveller.shift(datetime.timedelta(minutes=6))
        response = client.post(url)
        assert response["Location"] == f"/accounts/reauthenticate/?next=%2Faccounts%2Fstaff%2F{account.pk}%2F"
        assert StaffTOTPDevice.objects.filter(user=account).exists()
        traveller.shift(datetime.timedelta(seconds=30))
        from linli.accounts.tests.test_roles_views import reauthenticate

        reauthenticate(client, security_admin)
        assert client.post(url).status_code == 302
    assert not StaffTOTPDevice.objects.filter(user=account).exists()
