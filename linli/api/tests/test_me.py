"""GET /me and PATCH /me/preferences: masked personal data, own roles, B3 field-level writes."""

from __future__ import annotations

import pytest

from linli import testing
from linli.accounts.models import Role, User
from linli.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FORBIDDEN_WRITES = [
    {"kind": "staff"},
    {"is_staff": True},
    {"is_active": False},
    {"roles": [{"role": "street_officer", "area_id": 1}]},
    {"area_id": 1},
    {"jurisdiction": 1},
    {"username": "root"},
    {"phone": "13900000000"},
    {"email": "x@example.com"},
    {"notify_by_sms": False},
    {"language": "en", "is_staff": True},
]


def test_me_shows_masked_phone_roles_and_preferences(tree, make_resident, make_staff) -> None:
    resident = make_resident(phone="13812345678")
    response = testing.client_for(resident).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": resident.pk,
        "username": resident.username,
        "kind": "resident",
        "display_name": "王小明",
        "phone_masked": "138****5678",
        "email_masked": "",
        "language": "",
        "elderly_mode": False,
        "notify_by_sms": True,
        "notify_by_email": False,
        "roles": [],
        "token_area_id": None,
    }
    assert b"13812345678" not in response.content
    leader = make_staff(Role.COMMUNITY_LEADER, tree.community_a)
    body = testing.client_for(leader).get("/api/v1/me").json()
    assert body["kind"] == "staff"
    assert body["roles"] == [
        {
            "role": "community_leader",
            "role_label": "community leader",
            "area_id": tree.community_a.pk,
            "area_name": tree.community_a.name,
            "department_id": None,
        }
    ]


def test_me_department_officer_role_names_department(tree, make_staff) -> None:
    officer = make_staff(Role.DEPARTMENT_OFFICER, tree.street, department=tree.department)
    roles = testing.client_for(officer).get("/api/v1/me").json()["roles"]
    assert roles == [
        {
            "role": "department_officer",
            "role_label": "department officer",
            "area_id": tree.street.pk,
            "area_name": tree.street.name,
            "department_id": tree.department.pk,
        }
    ]


def test_preferences_change_language_and_elderly_mode(tree, make_resident) -> None:
    resident = make_resident()
    client = testing.client_for(resident)
    response = client.patch(
        "/api/v1/me/preferences", {"language": "en", "elderly_mode": True}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["language"], response.json()["elderly_mode"]) == ("en", True)
    resident.refresh_from_db()
    assert (resident.language, resident.elderly_mode) == ("en", True)
    event = AuditEvent.objects.filter(event_type="account.preferences_changed").get()
    assert event.actor_id == resident.pk
    assert sorted(event.detail["fields"]) == ["elderly_mode", "language"]


def test_preferences_partial_and_empty_updates(tree, make_resident) -> None:
    resident = make_resident()
    client = testing.client_for(resident)
    assert (
        client.patch("/api/v1/me/preferences", {"elderly_mode": True}, content_type="application/json").status_code
        == 200
    )
    resident.refresh_from_db()
    assert (resident.language, resident.elderly_mode) == ("", True)
    assert client.patch("/api/v1/me/preferences", {}, content_type="application/json").status_code == 200
    assert AuditEvent.objects.filter(event_type="account.preferences_changed").count() == 1


@pytest.mark.parametrize("payload", FORBIDDEN_WRITES)
def test_preferences_reject_other_fields_and_change_nothing(tree, make_staff, payload) -> None:
    """B3: writes reject fields such as jurisdiction, role, is_staff — 422, nothing changed."""
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    before = User.objects.filter(pk=worker.pk).values().get()
    roles_before = list(worker.roles.values_list("role", "area_id", "revoked_at"))
    response = client.patch("/api/v1/me/preferences", payload, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    forbidden = sorted(name for name in payload if name not in {"language", "elderly_mode"})
    assert sorted(field["field"] for field in error["fields"]) == forbidden
    assert {field["type"] for field in error["fields"]} == {"extra_forbidden"}
    assert User.objects.filter(pk=worker.pk).values().get() == before
    assert list(worker.roles.values_list("role", "area_id", "revoked_at")) == roles_before
    assert not AuditEvent.objects.filter(event_type="account.preferences_changed").exists()


@pytest.mark.parametrize(
    ("payload", "field", "error_type"),
    [
        ({"language": "fr"}, "language", "literal_error"),
        ({"elderly_mode": "maybe"}, "elderly_mode", "bool_type"),
        # strict: a JSON boolean only, never a coerced 0/1/"true" (schemathesis finding, issue 5)
        ({"elderly_mode": 0}, "elderly_mode", "bool_type"),
        ({"elderly_mode": 1}, "elderly_mode", "bool_type"),
        ({"elderly_mode": "true"}, "elderly_mode", "bool_type"),
        ({"language": 1}, "language", "literal_error"),
    ],
)
def test_preferences_validate_values(tree, make_resident, payload, field, error_type) -> None:
    resident = make_resident()
    response = testing.client_for(resident).patch("/api/v1/me/preferences", payload, content_type="application/json")
    assert response.status_code == 422
    assert [(item["location"], item["field"], item["type"]) for item in response.json()["error"]["fields"]] == [
        ("body", field, error_type)
    ]
    resident.refresh_from_db()
    assert (resident.language, resident.elderly_mode) == ("", False)


def test_preferences_reject_malformed_json(tree, make_resident) -> None:
    resident = make_resident()
    response = testing.client_for(resident).patch(
        "/api/v1/me/preferences", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": "The request could not be read (malformed body)."}
    }
    resident.refresh_from_db()
    assert resident.language == ""
