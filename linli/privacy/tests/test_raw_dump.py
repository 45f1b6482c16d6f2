"""A raw read of every table holds no plaintext ID or phone number (issue 2 "Done means";
SECURITY.md D1, C3): people created through the ORM and the actions, audited with their numbers in
free text, leave only ciphertext, blind indexes and masked values behind."""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from linli.accounts.actions.login import phone_index
from linli.accounts.models import AccountKind, User
from linli.audit.actions import record_event
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("13812345678", "110105199001011234"),
    ("13987654321", "31011519851231002X"),
    ("15000000001", "440305200002291236"),
]


def cell_texts(value: object) -> list[str]:
    """The ways a cell could carry a number: as text, as decoded bytes, as base64 content."""
    if value is None:
        return []
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        return [raw.decode("utf-8", "replace"), raw.hex()]
    text = str(value)
    texts = [text]
    try:
        texts.append(base64.b64decode(text + "==", altchars=b"-_").decode("utf-8", "replace"))
    except ValueError:
        pass
    return texts


def dump_database() -> list[tuple[str, str]]:
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    cells.extend((table, text) for text in cell_texts(value))
    return cells


def test_no_table_holds_a_plaintext_phone_or_id_number(make_staff, tree):
    staff = make_staff()
    for number, (phone, id_number) in enumerate(PEOPLE):
        user = User.objects.create(
            username=f"resident{number}", kind=AccountKind.RESIDENT, display_name="王小明",
            phone=phone, phone_index=phone_index(phone), id_number=id_number,
        )  # fmt: skip
        assert User.objects.get(id=user.id).phone == phone
        record_event(
            "test.resident_called", actor=staff, target=user,
            detail={"note": f"called {phone} about {id_number}", "numbers": [phone, id_number]},
        )  # fmt: skip
        Notification.objects.create(recipient=user, kind="test", title="通知", body="请携带身份证到社区核验")
    record_event("auth.login_failed", actor_label=PEOPLE[0][0], outcome="failure", object_id=PEOPLE[0][1])

    cells = dump_database()
    tables = {table for table, _text in cells}
    assert {"accounts_user", "audit_auditevent", "notify_notification"} <= tables
    leaks = [
        (table, text[:80])
        for table, text in cells
        for phone, id_number in PEOPLE
        if phone in text or id_number in text or id_number.lower() in text
    ]
    assert leaks == []
    # The masked forms are there instead, so the test really read the audit rows.
    audit_text = " ".join(text for table, text in cells if table == "audit_auditevent")
    assert "138****5678" in audit_text
    assert "1101**********1234" in audit_text
