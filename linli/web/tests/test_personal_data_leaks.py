"""SECURITY.md test 10: a personal-data leak scanner over every page, API response, log record,
audit row and export, per role.

Residents with known phone and ID numbers live in two grids. For each role, a crawler signed in as
that role follows every same-site link (and every GET operation of the API schema without path
parameters) and asserts that no full phone or ID number appears in any response body or header, in
any log record written meanwhile, or in any audit row. Revealing a full value is a separate POST
action and is deliberately not followed by the crawler.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from typing import Any

import pytest
from django.test import Client

from linli import testing
from linli.accounts.models import DwellingLink, DwellingLinkStatus, Role
from linli.audit.models import AuditEvent

PHONES = ["13900112233", "13711223344", "18688990011"]
ID_NUMBERS = ["110105199001011237", "11010519851231002X", "110105200203040016"]
LINK_PATTERN = re.compile(r'(?:href|action|hx-get)="(/[^"#]*)"')
SKIP_PREFIXES = ("/static/", "/accounts/logout", "/accounts/sessions/end-all", "/service-worker.js")
MAX_PAGES = 150


def _valid_id_numbers() -> list[str]:
    from linli.privacy.validators import id_number_check_character

    numbers = []
    for number in ID_NUMBERS:
        first17 = number[:17]
        numbers.append(first17 + id_number_check_character(first17))
    return numbers


@pytest.fixture
def residents(tree: testing.Tree) -> list[Any]:
    from linli.privacy.crypto import blind_index

    created = []
    for index, (phone, id_number) in enumerate(zip(PHONES, _valid_id_numbers(), strict=True)):
        user = testing.make_resident(phone, name=["张伟", "李娜", "王芳"][index])
        user.id_number = id_number
        user.id_number_index = blind_index(id_number, purpose="id_number")
        user.save()
        dwelling = [tree.dwelling_a1, tree.dwelling_a2, tree.dwelling_b1][index]
        DwellingLink.objects.create(
            user=user,
            dwelling=dwelling,
            area_path=dwelling.path,
            status=DwellingLinkStatus.PENDING if index == 0 else DwellingLinkStatus.VERIFIED,
        )
        created.append(user)
    return created


def forbidden_values() -> list[str]:
    return PHONES + _valid_id_numbers()


def crawl(client: Client, starts: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque(starts)
    values = forbidden_values()
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or path.startswith(SKIP_PREFIXES):
            continue
        response = client.get(path)
        seen[path] = response.status_code
        body = response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""
        headers = " ".join(f"{k}: {v}" for k, v in response.items())
        for value in values:
            assert value not in body, f"{path} shows the full value {value[:3]}…"
            assert value not in headers, f"{path} puts the full value in a header"
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for link in LINK_PATTERN.findall(body):
                link = link.replace("&amp;", "&")
                if link not in seen:
                    queue.append(link)
    return seen


def api_get_paths(client: Client) -> list[str]:
    response = client.get("/api/v1/openapi.json")
    if response.status_code != 200:
        return []
    paths = response.json().get("paths", {})
    return [
        f"/api/v1{path}" if not path.startswith("/api/") else path
        for path, operations in paths.items()
        if "get" in operations and "{" not in path
    ]


ROLE_CASES = [
    ("grid_worker", "grid_a1"),
    ("community_worker", "community_a"),
    ("community_leader", "community_b"),
    ("street_officer", "street"),
    ("department_officer", "street"),
    ("system_admin", "district"),
    ("security_admin", "district"),
    ("audit_admin", "district"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "area_name"), ROLE_CASES)
def test_no_full_personal_data_anywhere_for_staff(
    role: str, area_name: str, tree: testing.Tree, residents: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    department = tree.department if role == Role.DEPARTMENT_OFFICER else None
    staff = testing.make_staff(role, getattr(tree, area_name), department=department)
    client = testing.client_for(staff)
    seen = crawl(client, ["/", "/workbench/", "/accounts/", "/notifications/", *api_get_paths(client)])
    assert len(seen) >= 4
    assert any(status == 200 for status in seen.values())
    _assert_logs_and_audit_clean(caplog)


@pytest.mark.django_db
def test_no_full_personal_data_for_residents(residents: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = testing.client_for(residents[1])
    seen = crawl(client, ["/", "/home/", "/accounts/", "/notifications/", *api_get_paths(client)])
    assert any(status == 200 for status in seen.values())
    _assert_logs_and_audit_clean(caplog)


@pytest.mark.django_db
def test_sign_in_flow_keeps_numbers_out_of_logs_and_audit(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post("/accounts/login/", {"phone": PHONES[0]})
    client.post("/accounts/login/", {"code": "000000"})
    _assert_logs_and_audit_clean(caplog)
    assert AuditEvent.objects.filter(event_type="auth.login_failed").exists()


def _assert_logs_and_audit_clean(caplog: pytest.LogCaptureFixture) -> None:
    values = forbidden_values()
    for record in caplog.records:
        message = record.getMessage()
        for value in values:
            assert value not in message, f"log record from {record.name} contains a full number"
    for event in AuditEvent.objects.all():
        text = f"{event.actor_label} {event.object_id} {event.detail}"
        for value in values:
            assert value not in text, f"audit event {event.id} ({event.event_type}) contains a full number"
