"""AES-256-GCM values with a key id, bound to their column; keyed blind index (SECURITY.md D1–D3)."""

from __future__ import annotations

import base64
import os

import pytest
from django.conf import settings

from linli.privacy import crypto

CONTEXT = "accounts.user.phone"


def flip_byte(stored: str, position: int = 20) -> str:
    key_id, _, body = stored.partition("$")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[position] ^= 0x01
    return f"{key_id}${base64.urlsafe_b64encode(bytes(raw)).decode()}"


def test_round_trip():
    stored = crypto.encrypt("13812345678", context=CONTEXT)
    assert crypto.decrypt(stored, context=CONTEXT) == "13812345678"
    assert crypto.decrypt(crypto.encrypt("张三 ☃", context=CONTEXT), context=CONTEXT) == "张三 ☃"


def test_stored_form_is_key_id_then_nonce_ciphertext_and_tag():
    stored = crypto.encrypt("13812345678", context=CONTEXT)
    key_id, separator, body = stored.partition("$")
    assert (key_id, separator) == (settings.LINLI_DATA_KEY_CURRENT, "$")
    assert crypto.key_id_of(stored) == key_id
    raw = base64.urlsafe_b64decode(body)
    assert len(raw) == crypto.NONCE_BYTES + len(b"13812345678") + 16
    assert "13812345678" not in stored


def test_equal_plaintexts_give_different_ciphertexts():
    values = {crypto.encrypt("13812345678", context=CONTEXT) for _ in range(20)}
    assert len(values) == 20
    nonces = {base64.urlsafe_b64decode(value.partition("$")[2])[: crypto.NONCE_BYTES] for value in values}
    assert len(nonces) == 20


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_a_flipped_byte_anywhere_is_detected(position):
    stored = crypto.encrypt("110105199001011234", context=CONTEXT)
    with pytest.raises(crypto.DecryptionError, match="authentication"):
        crypto.decrypt(flip_byte(stored, position), context=CONTEXT)


def test_truncated_or_malformed_values_are_refused():
    stored = crypto.encrypt("13812345678", context=CONTEXT)
    for broken in (stored[:-4], stored.partition("$")[0] + "$", stored + "!!", "no-separator"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(broken, context=CONTEXT)


def test_a_ciphertext_is_bound_to_its_column():
    stored = crypto.encrypt("13812345678", context="accounts.user.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context="accounts.user.id_number")


def test_an_unknown_key_id_is_refused():
    stored = crypto.encrypt("13812345678", context=CONTEXT)
    with pytest.raises(crypto.DecryptionError, match="unknown data key"):
        crypto.decrypt("nokey$" + stored.partition("$")[2], context=CONTEXT)


def test_a_value_under_another_key_cannot_be_read_with_the_wrong_key(settings):
    stored = crypto.encrypt("13812345678", context=CONTEXT)
    current = settings.LINLI_DATA_KEY_CURRENT
    settings.LINLI_DATA_KEYS = {**settings.LINLI_DATA_KEYS, current: os.urandom(32)}
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context=CONTEXT)


def test_encrypting_under_a_named_key(settings):
    settings.LINLI_DATA_KEYS = {**settings.LINLI_DATA_KEYS, "k2027": os.urandom(32)}
    stored = crypto.encrypt("13812345678", context=CONTEXT, key_id="k2027")
    assert stored.startswith("k2027$")
    assert crypto.decrypt(stored, context=CONTEXT) == "13812345678"


def test_keys_are_256_bit():
    assert all(len(key) == 32 for key in settings.LINLI_DATA_KEYS.values())
    assert len(settings.LINLI_BLIND_INDEX_KEY) == 32


# --- blind index -----------------------------------------------------------------------------


def test_blind_index_is_deterministic_per_purpose():
    first = crypto.blind_index("13812345678", purpose="phone")
    assert first == crypto.blind_index("13812345678", purpose="phone")
    assert len(first) == 64
    int(first, 16)
    assert "13812345678" not in first


def test_blind_index_differs_across_values_purposes_and_keys(settings):
    phone = crypto.blind_index("13812345678", purpose="phone")
    assert crypto.blind_index("13812345679", purpose="phone") != phone
    assert crypto.blind_index("13812345678", purpose="id_number") != phone
    settings.LINLI_BLIND_INDEX_KEY = os.urandom(32)
    assert crypto.blind_index("13812345678", purpose="phone") != phone


def test_blind_index_is_not_a_bare_hash():
    import hashlib

    value = "110105199001011234"
    index = crypto.blind_index(value, purpose="id_number")
    assert index not in {
        hashlib.sha256(value.encode()).hexdigest(),
        hashlib.sha256(f"id_number\x00{value}".encode()).hexdigest(),
    }


def test_purpose_separator_prevents_ambiguous_concatenation():
    assert crypto.blind_index("b", purpose="a") != crypto.blind_index("", purpose="ab")
