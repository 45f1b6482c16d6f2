"""Data-key rotation (SECURITY.md D1): ``linli privacy rotate_keys`` re-encrypts every encrypted
value under the current key; idempotent, resumable, audited; old keys can then be removed."""

from __future__ import annotations

import io
import os
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from linli.accounts.actions.login import phone_index
from linli.accounts.models import AccountKind, StaffTOTPDevice, User
from linli.audit.models import AuditEvent
from linli.audit.verification import verify_chain
from linli.privacy import crypto
from linli.privacy.actions import do_rotate_data_keys
from linli.privacy.inventory import encrypted_fields

pytestmark = pytest.mark.django_db

NEW_KEY = "k2027"


def all_stored_values() -> dict[tuple[str, object, str], str]:
    """Every non-empty stored ciphertext of every encrypted column, raw from the database."""
    values = {}
    with connection.cursor() as cursor:
        for model, field in encrypted_fields():
            table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
            cursor.execute(f"SELECT {pk}, {column} FROM {table}")  # noqa: S608
            for row_pk, stored in cursor.fetchall():
                if stored:
                    values[(model._meta.label_lower, row_pk, field.name)] = stored
    return values


@pytest.fixture
def people(make_staff):
    residents = [
        User.objects.create(
            username=f"r{number}",
            kind=AccountKind.RESIDENT,
            phone=f"1391234{number:04d}",
            phone_index=phone_index(f"1391234{number:04d}"),
            id_number=f"11010519900101{number:03d}X",
        )
        for number in range(7)
    ]
    staff = make_staff()
    return residents, staff


@pytest.fixture
def new_key(settings):
    old_keys = dict(settings.LINLI_DATA_KEYS)
    settings.LINLI_DATA_KEYS = {**old_keys, NEW_KEY: os.urandom(32)}
    settings.LINLI_DATA_KEY_CURRENT = NEW_KEY
    return old_keys


def rotate(*arguments: str) -> str:
    out = io.StringIO()
    call_command("privacy", "rotate_keys", *arguments, stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_every_value_under_the_new_key(people, new_key, settings):
    residents, staff = people
    before = all_stored_values()
    assert len(before) == 7 * 2 + 1
    assert all(not value.startswith(f"{NEW_KEY}$") for value in before.values())
    indexes = list(User.objects.order_by("id").values_list("phone_index", "id_number_index"))

    output = rotate("--batch", "3")

    after = all_stored_values()
    assert set(after) == set(before)
    assert all(value.startswith(f"{NEW_KEY}$") for value in after.values())
    assert all(after[key] != before[key] for key in before)
    assert "accounts.user: 14 re-encrypted, 0 already current" in output
    assert "accounts.stafftotpdevice: 1 re-encrypted, 0 already current" in output
    assert f"Every encrypted value is now under key {NEW_KEY}" in output
    # Values still decrypt to the same plaintext; blind indexes are untouched.
    for number, resident in enumerate(residents):
        fresh = User.objects.get(id=resident.id)
        assert (fresh.phone, fresh.id_number) == (f"1391234{number:04d}", f"11010519900101{number:03d}X")
    assert list(User.objects.order_by("id").values_list("phone_index", "id_number_index")) == indexes
    device = StaffTOTPDevice.objects.get(user=staff)
    assert len(device.bin_key) == 20

    # The old key can now be removed.
    settings.LINLI_DATA_KEYS = {NEW_KEY: settings.LINLI_DATA_KEYS[NEW_KEY]}
    assert [User.objects.get(id=resident.id).phone for resident in residents] == [
        f"1391234{number:04d}" for number in range(7)
    ]
    assert StaffTOTPDevice.objects.get(user=staff).bin_key == device.bin_key


def test_rotation_is_audited_with_counts_per_model(people, new_key):
    rotate()
    event = AuditEvent.objects.get(event_type="privacy.keys_rotated")
    assert event.outcome == "success"
    assert event.source == "command"
    assert event.detail["key_id"] == NEW_KEY
    assert event.detail["models"]["accounts.user"] == {"rotated": 14, "current": 0, "unreadable": 0}
    assert event.detail["models"]["accounts.stafftotpdevice"] == {"rotated": 1, "current": 0, "unreadable": 0}
    assert verify_chain().ok


def test_a_second_run_changes_nothing(people, new_key):
    rotate()
    after_first = all_stored_values()
    output = rotate()
    assert all_stored_values() == after_first
    assert "accounts.user: 0 re-encrypted, 14 already current" in output
    events = AuditEvent.objects.filter(event_type="privacy.keys_rotated").order_by("id")
    assert [event.detail["models"]["accounts.user"]["rotated"] for event in events] == [14, 0]


def test_without_a_new_key_nothing_is_rewritten(people):
    before = all_stored_values()
    report = do_rotate_data_keys()
    assert report.rotated == 0
    assert all_stored_values() == before


def test_an_interrupted_run_resumes_where_it_stopped(people, new_key):
    real_decrypt = crypto.decrypt
    calls = {"count": 0}

    def failing_decrypt(stored: str, *, context: str) -> str:
        calls["count"] += 1
        if calls["count"] == 5:
            raise KeyboardInterrupt("operator pressed Ctrl-C")
        return real_decrypt(stored, context=context)

    with mock.patch.object(crypto, "decrypt", failing_decrypt), pytest.raises(KeyboardInterrupt):
        do_rotate_data_keys(batch_size=1)
    partial = all_stored_values()
    done = [key for key, value in partial.items() if value.startswith(f"{NEW_KEY}$")]
    assert len(done) == 4  # two whole batches of one user (phone and ID number) committed
    assert not AuditEvent.objects.filter(event_type="privacy.keys_rotated").exists()

    report = do_rotate_data_keys(batch_size=1)
    assert all(value.startswith(f"{NEW_KEY}$") for value in all_stored_values().values())
    assert report.models["accounts.user"].rotated == 10
    assert report.models["accounts.user"].current == 4
    assert all(partial[key] == value for key, value in all_stored_values().items() if key in done)


def test_an_unreadable_value_is_reported_and_the_rest_rotated(people, new_key):
    residents, _staff = people
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET phone = %s WHERE id = %s", ["nokey$AAAA", residents[2].id])
    with pytest.raises(CommandError) as error:
        rotate()
    assert error.value.returncode == 1
    assert "1 values could not be decrypted" in str(error.value)
    stored = all_stored_values()
    assert stored[("accounts.user", residents[2].id, "phone")] == "nokey$AAAA"
    others = {key: value for key, value in stored.items() if key != ("accounts.user", residents[2].id, "phone")}
    assert all(value.startswith(f"{NEW_KEY}$") for value in others.values())
    event = AuditEvent.objects.get(event_type="privacy.keys_rotated")
    assert event.outcome == "failure"
    assert event.detail["models"]["accounts.user"] == {"rotated": 13, "current": 0, "unreadable": 1}


def test_a_value_changed_during_rotation_is_not_overwritten(people, new_key):
    residents, _staff = people
    target = residents[0]
    real_decrypt = crypto.decrypt

    def decrypt_then_concurrent_edit(stored: str, *, context: str) -> str:
        plaintext = real_decrypt(stored, context=context)
        if context == "accounts.user.phone" and plaintext == "13912340000":
            # Another request changes the phone between the read and the write.
            User.objects.filter(id=target.id).update(phone="13700000000")
        return plaintext

    with mock.patch.object(crypto, "decrypt", decrypt_then_concurrent_edit):
        report = do_rotate_data_keys()
    assert User.objects.get(id=target.id).phone == "13700000000"
    assert report.models["accounts.user"].rotated == 13


def test_the_hyphenated_alias_works(people, new_key):
    out = io.StringIO()
    call_command("privacy", "rotate-keys", stdout=out)
    assert "accounts.user: 14 re-encrypted" in out.getvalue()
