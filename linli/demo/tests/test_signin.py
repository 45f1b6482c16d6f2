"""The demo accounts work through the real sign-in flows, as the README tells a newcomer."""

from __future__ import annotations

import json
import re

from django.test import Client

from linli.accounts.models import User
from linli.demo.generator import DEMO_PASSWORD
from linli.demo.tests.test_views import DEMO_STAFF, codes_on_page


def test_every_demo_staff_account_signs_in_with_password_and_authenticator_code(demo_street) -> None:  # type: ignore[no-untyped-def]
    for username in DEMO_STAFF:
        client = Client()
        response = client.post(
            "/accounts/staff-login/", {"username": username, "password": DEMO_PASSWORD, "next": "/workbench/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/second-factor/?next=/workbench/"
        assert client.get("/workbench/").status_code == 302  # password alone reaches no staff page
        code = codes_on_page(Client().get("/dev/authenticator/codes/").content.decode())[username]
        response = client.post("/accounts/second-factor/", {"code": code, "next": "/workbench/"})
        assert response.status_code == 302, username
        assert response["Location"] == "/workbench/"
        assert client.get("/workbench/").status_code == 200
        assert int(client.session["_auth_user_id"]) == User.objects.get(username=username).id


def test_demo_resident_signs_in_with_the_code_from_the_sms_outbox(  # type: ignore[no-untyped-def]
    demo_street, settings, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/", {"phone": "13800000001"})
    assert response.status_code == 302
    messages = [json.loads(line) for line in settings.LINLI_SMS_OUTBOX.read_text(encoding="utf-8").splitlines()]
    assert [message["phone"] for message in messages] == ["13800000001"]
    outbox_page = Client().get("/dev/sms/").content.decode()
    code = re.search(r"\b(\d{6})\b", messages[0]["message"]).group(1)
    assert code in outbox_page
    response = client.post("/accounts/login/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    resident = User.objects.get(username="demo-resident")
    assert int(client.session["_auth_user_id"]) == resident.id
    home = client.get("/home/")
    assert home.status_code == 200
    assert User.objects.filter(kind="resident").count() == 202  # no new account was created
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200
    assert "房屋认证已通过" in inbox.content.decode()
