"""PostgreSQL: the application's role may not UPDATE, DELETE or TRUNCATE audit rows, nor drop or
disable the triggers (issue 5, security finding 2). ``linli audit grant-app-role ROLE`` sets up a
non-owner role; the test runs the application's append as that role (``SET ROLE``) and then tries
every way of changing the log. Skipped on SQLite, which has no roles."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from linli.audit.actions import record_event
from linli.audit.models import AuditChainHead, AuditEvent
from linli.audit.roles import audit_privileges
from linli.audit.verification import verify_chain

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="database roles are PostgreSQL's"),
]

ROLE = "linli_app_test"


@pytest.fixture
def app_role():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")  # rolled back with the test's transaction
    out = io.StringIO()
    call_command("audit", "grant-app-role", ROLE, stdout=out)
    assert out.getvalue().endswith(
        f"Role {ROLE} may now run the application; on the audit tables it may only read and append.\n"
    )
    return ROLE


def as_role(statement: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        cursor.execute(statement, params or [])


def test_the_app_role_holds_only_read_and_append_on_the_audit_tables(app_role):
    assert audit_privileges(app_role) == {
        "audit_auditevent": {"SELECT", "INSERT"},
        "audit_auditchainhead": {"SELECT", "INSERT", "UPDATE"},
    }


def test_the_app_role_appends_but_cannot_change_remove_or_disable_anything(app_role):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        for number in range(3):
            record_event("test.as_app_role", detail={"n": number})
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == ROLE
    before = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    head = AuditChainHead.objects.values_list("last_event_id", "last_hash").get(id=1)
    attempts = [
        ("UPDATE audit_auditevent SET actor_label = 'forged' WHERE id = 2", "permission denied"),
        ("DELETE FROM audit_auditevent WHERE id = 2", "permission denied"),
        ("TRUNCATE audit_auditevent", "permission denied"),
        ("TRUNCATE audit_auditchainhead", "permission denied"),
        ("DELETE FROM audit_auditchainhead", "permission denied"),
        ("UPDATE audit_auditchainhead SET last_event_id = 1", "append-only"),  # UPDATE allowed, trigger refuses
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update", "must be owner"),
        ("DROP TRIGGER audit_event_no_delete ON audit_auditevent", "must be owner"),
    ]
    for statement, error in attempts:
        with pytest.raises(DatabaseError, match=error):
            as_role(statement)
    assert list(AuditEvent.objects.order_by("id").values_list("id", "hash")) == before
    assert AuditChainHead.objects.values_list("last_event_id", "last_hash").get(id=1) == head
    assert verify_chain().ok


def test_a_role_with_owner_rights_is_refused():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match=f"role {owner} is a superuser|role {owner} owns the audit tables"):
        call_command("audit", "grant-app-role", owner)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("audit", "grant-app-role", "no_such_role_here")
    with pytest.raises(CommandError, match="not a plain lower-case"):
        call_command("audit", "grant-app-role", 'x"; DROP TABLE audit_auditevent; --')
