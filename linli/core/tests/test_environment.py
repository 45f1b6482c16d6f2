"""Production refuses unsafe configurations (issue 2 item 2)."""

from __future__ import annotations

import base64
import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from linli.core import environment

SAFE = {
    "production": True,
    "debug": False,
    "demo_mode": False,
    "development_keys": False,
    "allowed_hosts": ["linli.example.org"],
    "audit_retention_days": 365,
}


def test_safe_production_configuration_is_accepted() -> None:
    environment.check_production_safety(**SAFE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"debug": True}, "DEBUG"),
        ({"development_keys": True}, "development keys"),
        ({"demo_mode": True}, "demo mode"),
        ({"audit_retention_days": 183}, "184"),
    ],
)
def test_unsafe_production_configuration_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        environment.check_production_safety(**{**SAFE, **change})  # type: ignore[arg-type]


def test_demo_mode_on_loopback_is_allowed_in_production() -> None:
    environment.check_production_safety(**{**SAFE, "demo_mode": True, "allowed_hosts": ["127.0.0.1", "localhost"]})


def test_retention_below_184_days_is_refused_even_in_development() -> None:
    with pytest.raises(ImproperlyConfigured):
        environment.check_production_safety(**{**SAFE, "production": False, "audit_retention_days": 30})


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_production_needs_keys_from_the_environment(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("LINLI_SECRET_KEY", "LINLI_DATA_KEYS", "LINLI_BLIND_INDEX_KEY", "LINLI_DATA_KEY_CURRENT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ImproperlyConfigured, match="LINLI_SECRET_KEY"):
        environment.load_keys(tmp_path, production=True)
    assert not (tmp_path / "dev-keys.json").exists()


def test_production_keys_are_parsed_and_validated(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINLI_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("LINLI_DATA_KEYS", f"k1:{_key()},k2:{_key()}")
    monkeypatch.setenv("LINLI_DATA_KEY_CURRENT", "k2")
    monkeypatch.setenv("LINLI_BLIND_INDEX_KEY", _key())
    monkeypatch.delenv("LINLI_AUDIT_CHAIN_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="LINLI_AUDIT_CHAIN_KEY"):
        environment.load_keys(tmp_path, production=True)
    monkeypatch.setenv("LINLI_AUDIT_CHAIN_KEY", _key())
    keys = environment.load_keys(tmp_path, production=True)
    assert len(keys.audit_chain_key) == 32
    assert set(keys.data_keys) == {"k1", "k2"}
    assert keys.current_data_key_id == "k2"
    assert keys.development is False
    monkeypatch.setenv("LINLI_DATA_KEYS", "k1:c2hvcnQ=")
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        environment.load_keys(tmp_path, production=True)


def test_development_keys_are_generated_once_and_flagged(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("LINLI_SECRET_KEY", "LINLI_DATA_KEYS", "LINLI_BLIND_INDEX_KEY", "LINLI_DATA_KEY_CURRENT"):
        monkeypatch.delenv(name, raising=False)
    first = environment.load_keys(tmp_path, production=False)
    second = environment.load_keys(tmp_path, production=False)
    assert first == second
    assert first.development is True
    assert first.secret_key.startswith(environment.DEVELOPMENT_SECRET_PREFIX)
    stored = json.loads((tmp_path / "dev-keys.json").read_text())
    assert stored["current_data_key"] == "dev1"
    assert oct((tmp_path / "dev-keys.json").stat().st_mode & 0o777) == "0o600"


def test_a_development_key_file_from_before_the_audit_chain_key_gains_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 5: the audit chain key joins an existing ``dev-keys.json`` once, other keys kept, 0600."""
    for name in ("LINLI_SECRET_KEY", "LINLI_DATA_KEYS", "LINLI_BLIND_INDEX_KEY", "LINLI_DATA_KEY_CURRENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LINLI_AUDIT_CHAIN_KEY", raising=False)
    old = environment.generate_development_keys()
    del old["audit_chain_key"]
    (tmp_path / "dev-keys.json").write_text(json.dumps(old))
    first = environment.load_keys(tmp_path, production=False)
    second = environment.load_keys(tmp_path, production=False)
    stored = json.loads((tmp_path / "dev-keys.json").read_text())
    assert {key: stored[key] for key in old} == old
    assert len(first.audit_chain_key) == 32
    assert first.audit_chain_key == second.audit_chain_key == base64.b64decode(stored["audit_chain_key"])
    assert oct((tmp_path / "dev-keys.json").stat().st_mode & 0o777) == "0o600"
