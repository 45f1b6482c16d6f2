"""AES-256-GCM encryption of single values with a key id per value, and the HMAC blind index.

Stored form: ``<key id>$<base64url(nonce 12 bytes | ciphertext | tag 16 bytes)>``. The associated
data binds a value to its column (``app_label.model.field``), so a ciphertext copied into another
column fails to decrypt. Keys live outside the database (environment or ``data/dev-keys.json``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value was tampered with, truncated, or encrypted under an unknown key."""


def current_key_id() -> str:
    return str(settings.LINLI_DATA_KEY_CURRENT)


def _key(key_id: str) -> bytes:
    try:
        return bytes(settings.LINLI_DATA_KEYS[key_id])
    except KeyError as error:
        raise DecryptionError(f"unknown data key id {key_id!r}") from error


@functools.lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    """One AESGCM object per key (keyed by the key bytes, so a changed key set gets new ones)."""
    return AESGCM(key)


def encrypt(plaintext: str, *, context: str, key_id: str | None = None) -> str:
    key_id = key_id or current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(_key(key_id)).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{key_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str:
    return stored.partition("$")[0]


def decrypt(stored: str, *, context: str) -> str:
    key_id, separator, body = stored.partition("$")
    if not separator:
        raise DecryptionError("value is not in encrypted form")
    try:
        raw = base64.b64decode(body.encode(), altchars=b"-_", validate=True)
        if len(raw) < NONCE_BYTES + 16:
            raise ValueError("too short")
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        return _cipher(_key(key_id)).decrypt(nonce, sealed, context.encode()).decode("utf-8")
    except (InvalidTag, ValueError, UnicodeError) as error:
        raise DecryptionError("ciphertext failed authentication") from error


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC-SHA256 of a normalised value, for exact lookup and de-duplication without
    plaintext. ``purpose`` separates domains (a phone and an ID never share an index space)."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(bytes(settings.LINLI_BLIND_INDEX_KEY), message, hashlib.sha256).hexdigest()


def encrypt_bytes(data: bytes, *, context: str, key_id: str | None = None) -> bytes:
    """AES-256-GCM for binary content (uploaded files): ``<key id>$`` | nonce | ciphertext | tag,
    with ``context`` as associated data, as for :func:`encrypt`."""
    key_id = key_id or current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    return f"{key_id}$".encode() + nonce + _cipher(_key(key_id)).encrypt(nonce, data, context.encode())


def decrypt_bytes(stored: bytes, *, context: str) -> bytes:
    head, separator, raw = bytes(stored).partition(b"$")
    if not separator or len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("value is not in encrypted form")
    try:
        return _cipher(_key(head.decode("ascii"))).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (InvalidTag, UnicodeError) as error:
        raise DecryptionError("ciphertext failed authentication") from error
