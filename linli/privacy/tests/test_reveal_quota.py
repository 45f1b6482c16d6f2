"""Per-user reveal quotas (issue 5, security finding 6): one officer revealed 40 full ID numbers
in 23 s. Beyond the hourly or daily quota a reveal is refused (429), nothing is revealed or
recorded as revealed, the refusal is audited, and the security administrators are alerted once
per window. Each officer sees their own recent reveals, and only their own."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli import testing
from linli.accounts.models import Role, User
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    PHONE_A,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.areas.models import AreaKind
from linli.audit.models import AuditEvent
from linli.notify.models import Delivery, Notification
from linli.privacy.actions import security_admins_for
from linli.privacy.models import RevealRecord

HTMX = {"HTTP_HX_REQUEST": "true"}
REASON = "Home visit to confirm the tenancy"
START = datetime.datetime(2026, 5, 4, 1, 0, tzinfo=datetime.UTC)  # 09:00 in Beijing


def reveal_url(world: World, field: str = "id_number") -> str:
    return reverse("residents:reveal", kwargs={"link_id": world.link_a1.pk, "field": field})


@pytest.fixture
def quotas(settings: Any) -> None:
    settings.LINLI_REVEALS_PER_HOUR = 3
    settings.LINLI_REVEALS_PER_DAY = 5


@pytest.fixture
def security_admin(world: World) -> User:
    admin = testing.make_staff(Role.SECURITY_ADMIN, world.tree.district)
    admin.phone = "13700001111"
    admin.notify_by_sms = True
    admin.save()
    return admin


def officer_client(world: World) -> tuple[User, Client]:
    officer = world.staff["street_officer"]
    return officer, testing.client_for(officer)


def browser(user: User) -> Client:
    client = Client(raise_request_exception=False)
    return testing.sign_in(client, user)


def reveal(client: Client, world: World, **extra: Any) -> Any:
    # Re-authentication is fresh for 5 minutes; keep it fresh across the time travel.
    session = client.session
    session["linli_reauthenticated_at"] = timezone.now().timestamp()
    session.save()
    return client.post(reveal_url(world), {"reason": REASON}, **extra)


def denied_events() -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(event_type="privacy.reveal_denied").values_list("detail", flat=True))


@pytest.mark.django_db
def test_hourly_quota(world: World, quotas: None, security_admin: User) -> None:
    officer = world.staff["street_officer"]
    client = browser(officer)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            response = reveal(client, world)
            assert response.status_code == 200
            assert ID_A in response.content.decode()
            traveller.shift(datetime.timedelta(seconds=30))
        revealed_before = AuditEvent.objects.filter(event_type="privacy.revealed").count()

        response = reveal(client, world)
        body = response.content.decode()
        assert response.status_code == 429
        assert ID_A not in body
        # 09:00 was the first of the three: allowed again at 10:00 Beijing time.
        assert "您在最近一小时内已查看 3 条完整信息，已达上限。请于 2026-05-04 10:00 之后再试。" in body
        assert response["Retry-After"] == str(3600 - 90)
        assert RevealRecord.objects.filter(user=officer).count() == 3
        assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == revealed_before == 3
        assert denied_events() == [{"field": "id_number", "reason": REASON, "quota": "hour", "limit": 3}]

        # the security administrator is alerted once, in the inbox and by SMS (their channel)
        alerts = Notification.objects.filter(recipient=security_admin, kind="security")
        assert alerts.count() == 1
        alert = alerts.get()
        assert alert.title == "查看完整信息次数超限"
        assert officer.username in alert.body
        assert Delivery.objects.filter(notification=alert, channel="sms").count() == 1
        assert ID_A not in alert.body

        # htmx (the detail page's reveal button): also 429, still no value, no second alert
        response = reveal(client, world, **HTMX)
        assert response.status_code == 429
        assert ID_A not in response.content.decode()
        assert "<html" not in response.content.decode()
        assert alerts.count() == 1
        assert len(denied_events()) == 2

        # an hour after the first reveal, one more is allowed
        traveller.move_to(START + datetime.timedelta(hours=1, seconds=1))
        response = reveal(client, world)
        assert response.status_code == 200
        assert ID_A in response.content.decode()
        assert RevealRecord.objects.filter(user=officer).count() == 4


@pytest.mark.django_db
def test_daily_quota(world: World, quotas: None, security_admin: User) -> None:
    officer = world.staff["street_officer"]
    client = browser(officer)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            assert reveal(client, world).status_code == 200
            traveller.shift(datetime.timedelta(hours=2))  # never 3 in one hour
        response = reveal(client, world)
        assert response.status_code == 429
        assert "24 小时内已查看 5 条完整信息" in response.content.decode()
        assert denied_events()[-1]["quota"] == "day"
        assert Notification.objects.filter(recipient=security_admin, kind="security").count() == 1
        assert RevealRecord.objects.filter(user=officer).count() == 5


@pytest.mark.django_db
def test_quota_is_per_user(world: World, quotas: None) -> None:
    with time_machine.travel(START, tick=False):
        first = browser(world.staff["street_officer"])
        for _ in range(3):
            assert reveal(first, world).status_code == 200
        assert reveal(first, world).status_code == 429
        other = browser(world.staff["community_worker_a"])
        assert reveal(other, world).status_code == 200


@pytest.mark.django_db
def test_default_quota_stops_the_40_reveals_in_23_seconds(world: World) -> None:
    """The reported burst, with the default settings (20 per hour)."""
    client = browser(world.staff["street_officer"])
    statuses = [reveal(client, world).status_code for _ in range(40)]
    assert statuses == [200] * 20 + [429] * 20
    assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == 20
    assert len(denied_events()) == 20


@pytest.mark.django_db
def test_alert_goes_to_the_responsible_security_admins(world: World) -> None:
    tree = world.tree
    district_admin = testing.make_staff(Role.SECURITY_ADMIN, tree.district)
    other_district = testing.create_area(AreaKind.DISTRICT, "110106", "丰台区")
    elsewhere = testing.make_staff(Role.SECURITY_ADMIN, other_district)
    assert [user.pk for user in security_admins_for(world.staff["grid_worker_a1"])] == [district_admin.pk]
    district_admin.is_active = False
    district_admin.save(update_fields=["is_active"])
    # nobody responsible is active: every active security administrator is told
    assert [user.pk for user in security_admins_for(world.staff["grid_worker_a1"])] == [elsewhere.pk]


# --- My reveals -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_reveals_lists_only_my_own(world: World, django_assert_num_queries: Any) -> None:
    officer = world.staff["street_officer"]
    colleague = world.staff["community_worker_a"]
    with time_machine.travel(START, tick=False):
        client = browser(officer)
        reveal(client, world)
        client.post(reveal_url(world, "phone"), {"reason": "Call about the water leak"})
        colleague_client = browser(colleague)
        colleague_client.post(reveal_url(world, "phone"), {"reason": "Colleague own reason"})

        response = client.get(reverse("privacy:my_reveals"))
        body = response.content.decode()
        assert response.status_code == 200
        assert body.count("<tr>") == 1 + 2  # header + my two reveals
        assert REASON in body
        assert "Call about the water leak" in body
        assert "Colleague own reason" not in body
        assert "2026-05-04 09:00" in body  # Beijing time
        assert "张**" in body  # the person, masked
        assert "张三丰" not in body
        assert ID_A not in body and PHONE_A not in body
        assert "身份证号" in body and "手机号" in body
        assert "已用 2 / 共 20" in body

        colleague_body = colleague_client.get(reverse("privacy:my_reveals")).content.decode()
        assert "Colleague own reason" in colleague_body
        assert REASON not in colleague_body

        # the list costs a fixed number of queries
        with django_assert_num_queries(_my_reveals_queries(client)):
            client.get(reverse("privacy:my_reveals"))
        for _ in range(5):
            reveal(client, world)
        with django_assert_num_queries(_my_reveals_queries(client)):
            client.get(reverse("privacy:my_reveals"))


def _my_reveals_queries(client: Client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("privacy:my_reveals"))
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_my_reveals_english(world: World) -> None:
    officer = world.staff["street_officer"]
    client = browser(officer)
    reveal(client, world)
    client.cookies["linli_language"] = "en"
    officer.language = "en"
    officer.save(update_fields=["language"])
    body = client.get(reverse("privacy:my_reveals")).content.decode()
    assert "My reveals" in body
    assert "ID number" in body
    assert "1 of 20" in body


@pytest.mark.django_db
def test_my_reveals_is_for_signed_in_staff_only(world: World) -> None:
    anonymous = Client().get(reverse("privacy:my_reveals"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert browser(world.resident_a).get(reverse("privacy:my_reveals")).status_code == 404
    password_only = testing.sign_in(Client(), world.staff["street_officer"], second_factor=False)
    assert password_only.get(reverse("privacy:my_reveals"))["Location"] == reverse("accounts:second_factor")


@pytest.mark.django_db
def test_account_page_links_to_my_reveals(world: World) -> None:
    body = browser(world.staff["street_officer"]).get(reverse("accounts:account")).content.decode()
    assert reverse("privacy:my_reveals") in body
    resident_body = browser(world.resident_a).get(reverse("accounts:account")).content.decode()
    assert reverse("privacy:my_reveals") not in resident_body
