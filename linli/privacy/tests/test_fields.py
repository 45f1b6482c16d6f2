"""EncryptedTextField in the database: round trip, tamper detection on read, column binding,
no plaintext lookups (SECURITY.md D1–D3)."""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from linli.accounts.actions.login import phone_index
from linli.accounts.models import AccountKind, User
from linli.privacy import crypto
from linli.privacy.fields import EncryptedTextField

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
ID_NUMBER = "110105199001011234"


def raw_column(user_id: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_user WHERE id = %s", [user_id])  # noqa: S608
        return cursor.fetchone()[0]


def set_raw_column(user_id: int, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE accounts_user SET {column} = %s WHERE id = %s", [value, user_id])  # noqa: S608


@pytest.fixture
def resident():
    return User.objects.create(
        username="r-field-test", kind=AccountKind.RESIDENT, phone=PHONE, phone_index=phone_index(PHONE),
        id_number=ID_NUMBER,
    )  # fmt: skip


def test_values_round_trip_through_the_database(resident):
    fresh = User.objects.get(id=resident.id)
    assert (fresh.phone, fresh.id_number) == (PHONE, ID_NUMBER)


def test_the_stored_column_holds_only_ciphertext_under_the_current_key(resident, settings):
    stored = raw_column(resident.id, "phone")
    assert stored.startswith(f"{settings.LINLI_DATA_KEY_CURRENT}$")
    assert PHONE not in stored
    assert ID_NUMBER not in raw_column(resident.id, "id_number")


def test_equal_values_in_two_rows_are_stored_differently(resident):
    other = User.objects.create(username="r-other", kind=AccountKind.RESIDENT, phone=PHONE)
    assert raw_column(resident.id, "phone") != raw_column(other.id, "phone")


def test_empty_values_stay_empty(resident):
    user = User.objects.create(username="r-empty", kind=AccountKind.RESIDENT)
    assert raw_column(user.id, "phone") == ""
    assert User.objects.get(id=user.id).phone == ""


def test_a_flipped_byte_in_the_database_fails_on_read(resident):
    stored = raw_column(resident.id, "phone")
    key_id, _, body = stored.partition("$")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[15] ^= 0x80
    set_raw_column(resident.id, "phone", f"{key_id}${base64.urlsafe_b64encode(bytes(raw)).decode()}")
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(id=resident.id)


def test_a_ciphertext_copied_into_another_column_fails_on_read(resident):
    set_raw_column(resident.id, "id_number", raw_column(resident.id, "phone"))
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(id=resident.id)


def test_a_plaintext_written_behind_the_fields_back_fails_on_read(resident):
    set_raw_column(resident.id, "phone", PHONE)
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(id=resident.id)


def test_encrypted_fields_cannot_be_searched(resident):
    with pytest.raises(TypeError, match="blind index"):
        User.objects.filter(phone=PHONE).exists()
    with pytest.raises(TypeError, match="blind index"):
        User.objects.filter(id_number__startswith="1101").exists()
    assert User.objects.filter(phone__isnull=False, id=resident.id).exists()


def test_lookup_goes_through_the_blind_index(resident):
    assert User.objects.get(phone_index=phone_index(PHONE)).id == resident.id
    assert raw_column(resident.id, "phone_index") == phone_index(PHONE)


def test_the_field_names_its_column_and_category():
    field = User._meta.get_field("phone")
    assert isinstance(field, EncryptedTextField)
    assert field.encryption_context == "accounts.user.phone"
    assert field.category == "phone"
    assert User._meta.get_field("id_number").category == "id_number"
    _name, path, _args, kwargs = field.deconstruct()
    assert (path, kwargs["category"]) == ("linli.privacy.fields.EncryptedTextField", "phone")
