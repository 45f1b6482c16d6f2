"""Reading settings from the environment and refusing unsafe production configurations."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_PREFIX = "linli-development-"  # noqa: S105 - a marker, not a secret
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
MINIMUM_AUDIT_RETENTION_DAYS = 184


def flag(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def integer(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from error


def csv(name: str, *, default: str) -> list[str]:
    value = os.environ.get(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def protect_data_dir(data_dir: Path) -> None:
    """Keep the data folder readable by its owner only (SECURITY.md, issue 5 finding 8).

    Sets the process umask to 077, so every file Linli creates from here on — the SQLite database
    and its ``-wal``/``-shm`` files, the job queue, the SMS outbox, mail, staged imports, audit
    checkpoints, backups — is 0600 and every folder 0700, and tightens what an older version left
    more open: the folder itself to 0700 and the entries directly inside it to 0600 (files) or
    0700 (folders). Entries owned by another account are left alone."""
    os.umask(0o077)
    if not data_dir.is_dir():
        return
    uid = os.getuid()
    _tighten(data_dir, 0o700, uid)
    with os.scandir(data_dir) as entries:
        for entry in entries:
            if entry.is_symlink():
                continue
            _tighten(Path(entry.path), 0o700 if entry.is_dir() else 0o600, uid)


def _tighten(path: Path, mode: int, uid: int) -> None:
    try:
        status = path.stat()
        if status.st_uid == uid and status.st_mode & 0o077:
            path.chmod(mode)
    except OSError:
        return


@dataclass(frozen=True)
class Keys:
    secret_key: str
    data_keys: dict[str, bytes]
    current_data_key_id: str
    blind_index_key: bytes
    development: bool
    audit_chain_key: bytes = b""


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"{what} is not valid base64") from error
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{what} must be 32 bytes (AES-256), got {len(raw)}")
    return raw


def parse_data_keys(text: str) -> dict[str, bytes]:
    """``LINLI_DATA_KEYS`` is ``id:base64,id:base64``; ids are short names such as ``k2026a``."""
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        if not key_id.isalnum() or not encoded:
            raise ImproperlyConfigured("LINLI_DATA_KEYS entries must look like 'keyid:base64key'")
        keys[key_id] = _decode_key(encoded, f"data key {key_id}")
    if not keys:
        raise ImproperlyConfigured("LINLI_DATA_KEYS holds no key")
    return keys


def generate_development_keys() -> dict[str, str]:
    return {
        "secret_key": DEVELOPMENT_SECRET_PREFIX + secrets.token_urlsafe(48),
        "data_keys": "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "current_data_key": "dev1",
        "blind_index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "audit_chain_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


REQUIRED_KEYS = ("secret_key", "data_keys", "blind_index_key", "audit_chain_key")


def _add_missing_development_keys(path: Path) -> dict[str, str]:
    """Add keys introduced after ``path`` was generated (the audit chain key), once: under an
    exclusive lock, so a web server and a worker starting together agree on one new key. The file
    is replaced atomically and stays readable by the owner only."""
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        stored: dict[str, str] = json.loads(path.read_text())
        fresh = generate_development_keys()
        missing = [name for name in REQUIRED_KEYS if not stored.get(name)]
        if missing:
            stored.update({name: fresh[name] for name in missing})
            temporary = path.with_name(path.name + ".tmp")
            temporary.unlink(missing_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle, indent=2)
            os.replace(temporary, path)
        return stored
    finally:
        os.close(lock_fd)


def load_keys(data_dir: Path, *, production: bool) -> Keys:
    """Keys come from the environment; in development, missing ones are generated once into
    ``data/dev-keys.json`` (git-ignored) so a fresh clone needs no preparation."""
    env = {
        "secret_key": os.environ.get("LINLI_SECRET_KEY", ""),
        "data_keys": os.environ.get("LINLI_DATA_KEYS", ""),
        "current_data_key": os.environ.get("LINLI_DATA_KEY_CURRENT", ""),
        "blind_index_key": os.environ.get("LINLI_BLIND_INDEX_KEY", ""),
        "audit_chain_key": os.environ.get("LINLI_AUDIT_CHAIN_KEY", ""),
    }
    development = False
    if not production and not all(env[k] for k in REQUIRED_KEYS):
        path = data_dir / "dev-keys.json"
        if path.exists():
            stored = json.loads(path.read_text())
            if not all(stored.get(name) for name in REQUIRED_KEYS):  # a file from before the audit chain key
                stored = _add_missing_development_keys(path)
        else:
            stored = generate_development_keys()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle, indent=2)
        env = {k: env[k] or stored[k] for k in env}
        development = True
    missing = [k for k in REQUIRED_KEYS if not env[k]]
    if missing:
        names = ", ".join("LINLI_" + k.upper() for k in missing)
        raise ImproperlyConfigured(f"production needs {names} in the environment")
    data_keys = parse_data_keys(env["data_keys"])
    current = env["current_data_key"] or next(reversed(data_keys))
    if current not in data_keys:
        raise ImproperlyConfigured(f"LINLI_DATA_KEY_CURRENT={current!r} is not among LINLI_DATA_KEYS")
    return Keys(
        secret_key=env["secret_key"],
        data_keys=data_keys,
        current_data_key_id=current,
        blind_index_key=_decode_key(env["blind_index_key"], "LINLI_BLIND_INDEX_KEY"),
        audit_chain_key=_decode_key(env["audit_chain_key"], "LINLI_AUDIT_CHAIN_KEY"),
        development=development or env["secret_key"].startswith(DEVELOPMENT_SECRET_PREFIX),
    )


def check_production_safety(
    *,
    production: bool,
    debug: bool,
    demo_mode: bool,
    development_keys: bool,
    allowed_hosts: list[str],
    audit_retention_days: int,
) -> None:
    """Refuse to start in configurations that would expose personal data."""
    if audit_retention_days < MINIMUM_AUDIT_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"LINLI_AUDIT_RETENTION_DAYS={audit_retention_days}: the Cybersecurity Law requires at least "
            f"{MINIMUM_AUDIT_RETENTION_DAYS} days"
        )
    if not production:
        return
    if debug:
        raise ImproperlyConfigured("production refuses DEBUG; unset LINLI_DEBUG")
    if development_keys:
        raise ImproperlyConfigured("production refuses development keys; set LINLI_SECRET_KEY and data keys")
    if demo_mode and any(host not in LOOPBACK_HOSTS for host in allowed_hosts):
        raise ImproperlyConfigured("production refuses demo mode on a non-loopback address")
