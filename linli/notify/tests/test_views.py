"""Inbox pages: own notifications only (404 for anyone else's), unread filter, marking read, the
polled unread badge, a pinned query count, and the demo SMS outbox (demo mode and file gateway only)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli import testing
from linli.notify.models import Notification
from linli.notify.tests.conftest import PHONE

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"


def notify(user: Any, title: str, *, read: bool = False, url: str = "") -> Notification:
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user, title=title, body=f"{title} body", url=url, read_at=timezone.now() if read else None
    )


@pytest.fixture
def other(make_resident: Any) -> Any:
    return make_resident(phone="13700000009", name="张三")


def test_urls_are_where_the_shell_expects_them() -> None:
    assert reverse("notify:inbox") == INBOX
    assert reverse("notify:unread_badge") == "/notifications/unread/"
    assert reverse("notify:mark_read", args=[7]) == "/notifications/7/read/"
    assert reverse("notify:mark_all_read") == "/notifications/read-all/"
    assert reverse("notify_demo:sms_outbox") == "/dev/sms/"


def test_inbox_lists_only_own_notifications(resident: Any, other: Any) -> None:
    notify(resident, "我的通知一")
    notify(resident, "我的通知二", read=True)
    notify(other, "别人的通知")

    response = testing.client_for(resident).get(INBOX)

    assert response.status_code == 200
    content = response.content.decode()
    assert "我的通知一" in content
    assert "我的通知二" in content
    assert "别人的通知" not in content
    assert content.index("我的通知二") < content.index("我的通知一")  # newest first


def test_unread_filter(resident: Any) -> None:
    notify(resident, "未读的")
    notify(resident, "已读的", read=True)
    client = testing.client_for(resident)

    content = client.get(INBOX, {"show": "unread"}).content.decode()
    assert "未读的" in content
    assert "已读的" not in content
    assert 'href="/notifications/?show=unread" aria-current="page"' in content

    everything = client.get(INBOX, {"show": "bogus"}).content.decode()  # unknown filter shows all
    assert "未读的" in everything and "已读的" in everything


def test_empty_inbox(resident: Any) -> None:
    response = testing.client_for(resident).get(INBOX)

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert '<li class="empty">' in response.content.decode()


def test_anonymous_is_sent_to_sign_in(db: Any) -> None:
    for url in (INBOX, "/notifications/unread/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_password_only_staff_session_reaches_no_inbox(make_staff: Any) -> None:
    staff = make_staff()
    notify(staff, "工作通知")

    response = testing.client_for(staff, second_factor=False).get(INBOX)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")


def test_inbox_query_count_does_not_grow(resident: Any, django_assert_max_num_queries: Any) -> None:
    client = testing.client_for(resident)
    for number in range(5):
        notify(resident, f"通知{number}", read=number % 2 == 0)
    client.get(INBOX)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(INBOX).status_code == 200
    for number in range(5, 50):
        notify(resident, f"通知{number}", read=number % 2 == 0)
    with django_assert_max_num_queries(len(few)), CaptureQueriesContext(connection) as many:
        response = client.get(INBOX)

    assert response.status_code == 200
    assert len(many) == len(few), [query["sql"][:90] for query in many.captured_queries]
    # session, user, session record (shell), paginator count, page, unread count (shell badge)
    assert len(few) <= 7
    assert len(response.context["page"].object_list) == 20
    assert response.context["page"].paginator.count == 50


def test_mark_read_own_notification(resident: Any) -> None:
    notification = notify(resident, "通知")

    response = testing.client_for(resident).post(f"/notifications/{notification.id}/read/", {"show": "unread"})

    assert response.status_code == 302
    assert response["Location"] == "/notifications/?show=unread"
    assert Notification.objects.get(id=notification.id).read_at is not None


def test_mark_read_follows_a_local_link(resident: Any) -> None:
    notification = notify(resident, "通知", url="/accounts/account/")

    response = testing.client_for(resident).post(f"/notifications/{notification.id}/read/")

    assert response["Location"] == "/accounts/account/"


def test_someone_elses_notification_is_404(resident: Any, other: Any) -> None:
    theirs = notify(other, "别人的通知")

    response = testing.client_for(resident).post(f"/notifications/{theirs.id}/read/")

    assert response.status_code == 404
    assert Notification.objects.get(id=theirs.id).read_at is None
    assert testing.client_for(resident).post("/notifications/999999/read/").status_code == 404


def test_mark_read_needs_post(resident: Any) -> None:
    notification = notify(resident, "通知")

    assert testing.client_for(resident).get(f"/notifications/{notification.id}/read/").status_code == 405
    assert Notification.objects.get(id=notification.id).read_at is None


def test_mark_read_needs_a_csrf_token(resident: Any) -> None:
    notification = notify(resident, "通知")
    client = testing.sign_in(Client(enforce_csrf_checks=True), resident)

    assert client.post(f"/notifications/{notification.id}/read/").status_code == 403
    assert Notification.objects.get(id=notification.id).read_at is None


def test_mark_all_read_only_own(resident: Any, other: Any) -> None:
    notify(resident, "一")
    notify(resident, "二")
    theirs = notify(other, "别人的")

    response = testing.client_for(resident).post("/notifications/read-all/")

    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert Notification.objects.filter(recipient=resident, read_at__isnull=True).count() == 0
    assert Notification.objects.get(id=theirs.id).read_at is None


def test_unread_badge_fragment(resident: Any, other: Any) -> None:
    notify(resident, "一")
    notify(resident, "二")
    notify(resident, "三", read=True)
    notify(other, "别人的")
    client = testing.client_for(resident)

    response = client.get("/notifications/unread/")

    assert response.status_code == 200
    content = response.content.decode().strip()
    assert content.startswith('<span id="unread-badge-count" class="badge"')
    assert content.endswith(">2</span>")
    assert "<html" not in content
    client.post("/notifications/read-all/")
    assert client.get("/notifications/unread/").content.decode().strip() == ""


def test_shell_badge_polls_every_minute(resident: Any) -> None:
    notify(resident, "一")

    content = testing.client_for(resident).get(INBOX).content.decode()

    assert 'id="unread-badge"' in content
    assert 'hx-get="/notifications/unread/"' in content
    assert 'hx-trigger="every 60s"' in content
    assert 'hx-select="#unread-badge-count"' in content
    assert '<span id="unread-badge-count" class="badge"' in content


def test_inbox_is_in_the_navigation(resident: Any, make_staff: Any) -> None:
    for user in (resident, make_staff()):
        response = testing.client_for(user).get(INBOX)
        urls = [entry["url"] for entry in response.context["navigation"]]
        assert INBOX in urls


# --- the demo SMS outbox ------------------------------------------------------------------------


def write_outbox(settings: Any) -> None:
    from linli.notify.sms import FileGateway

    FileGateway().send(PHONE, "Your Linli sign-in code is 123456.", template="login_code")


def test_demo_outbox_shows_messages_with_masked_numbers(settings: Any, db: Any) -> None:
    settings.DEMO_MODE = True
    settings.LINLI_SMS_GATEWAY = "file"
    write_outbox(settings)

    response = Client().get("/dev/sms/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Your Linli sign-in code is 123456." in content
    assert "139****5678" in content
    assert PHONE not in content


def test_demo_outbox_is_404_outside_demo_mode(settings: Any, db: Any) -> None:
    settings.DEMO_MODE = False
    settings.LINLI_SMS_GATEWAY = "file"
    write_outbox(settings)

    response = Client().get("/dev/sms/")

    assert response.status_code == 404
    assert "123456" not in response.content.decode()


def test_demo_outbox_is_404_with_a_real_gateway(settings: Any, db: Any) -> None:
    settings.DEMO_MODE = True
    settings.LINLI_SMS_GATEWAY = "aliyun"

    assert Client().get("/dev/sms/").status_code == 404


def test_outbox_file_is_json_lines(settings: Any) -> None:
    write_outbox(settings)
    lines = settings.LINLI_SMS_OUTBOX.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["template"] for line in lines] == ["login_code"]


def test_demo_outbox_shows_beijing_time(settings: Any, db: Any) -> None:
    settings.DEMO_MODE = True
    settings.LINLI_SMS_GATEWAY = "file"
    record = {"sent_at": "2026-03-01T23:30:05.123456+00:00", "phone": PHONE, "message": "验证码 654321", "template": ""}
    settings.LINLI_SMS_OUTBOX.parent.mkdir(parents=True, exist_ok=True)
    settings.LINLI_SMS_OUTBOX.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")

    content = Client().get("/dev/sms/").content.decode()

    assert '<time datetime="2026-03-02T07:30:05.123456+08:00">2026-03-02 07:30:05</time>' in content
    assert "23:30" not in content
