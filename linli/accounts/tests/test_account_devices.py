"""The account page names signed-in devices by browser and system with an approximate time, never
the raw User-Agent header; times are Beijing time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli import testing
from linli.accounts.models import UserSession
from linli.core.tests.test_useragent import ANDROID_CHROME, WINDOWS_EDGE

pytestmark = pytest.mark.django_db


def test_sessions_show_browser_system_and_approximate_time() -> None:
    resident = testing.make_resident(name="王小明")
    client = testing.client_for(resident)
    now = timezone.now()
    UserSession.objects.filter(user=resident).update(user_agent=ANDROID_CHROME, last_activity_at=now)
    other = UserSession.objects.create(
        user=resident,
        user_agent=WINDOWS_EDGE,
        created_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC),
        last_activity_at=now - dt.timedelta(minutes=3, seconds=10),
    )

    response = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Mozilla" not in html and "AppleWebKit" not in html
    assert '<td class="list-primary" data-label="设备">Chrome · Android <strong>(本设备)</strong></td>' in html
    assert '<td class="list-primary" data-label="设备">Edge · Windows</td>' in html
    assert ">3分钟之前</time>" in html
    assert ">现在</time>" in html
    # 23:30 UTC is 07:30 the next morning in Beijing.
    assert '<time datetime="2026-03-02T07:30:00+08:00">2026-03-02 07:30</time>' in html
    assert f'action="/accounts/sessions/{other.id}/end/"' in html
