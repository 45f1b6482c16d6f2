"""Fixtures for the notification tests: the Django job queue in immediate mode (jobs run in the
test's thread as soon as they are queued, in memory) and a scripted SMS gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from linli.notify.tests.gateways import PATH, ScriptedGateway


@pytest.fixture(autouse=True)
def huey_immediate() -> Iterator[Any]:
    previous = HUEY.immediate
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = previous


@pytest.fixture
def scripted_gateway(settings: Any) -> Iterator[type[ScriptedGateway]]:
    ScriptedGateway.reset()
    settings.LINLI_SMS_GATEWAY = PATH
    yield ScriptedGateway
    ScriptedGateway.reset()


@pytest.fixture
def outbox(settings: Any) -> Any:
    """Reads the file gateway's outbox (a JSON line per text message)."""

    def read() -> list[dict[str, str]]:
        path = Path(settings.LINLI_SMS_OUTBOX)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    return read


PHONE = "13912345678"


@pytest.fixture
def resident(make_resident: Any) -> Any:
    """A resident with a phone number (SMS on by default) and an e-mail address (e-mail off)."""
    user = make_resident(phone=PHONE, name="李华")
    user.email = "lihua@example.com"
    user.save(update_fields=["email"])
    return user
