"""``linli demo`` and ``linli demo_accounts``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from linli.areas.models import Area
from linli.demo.generator import DEMO_PASSWORD
from linli.demo.models import DemoDataset


def run(*args: str, **options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_demo_loads_once_and_prints_the_sign_in_guide(db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    monkeypatch.setenv("PORT", "8123")
    output, _ = run("demo", "--scale", "small")
    assert "Loaded the demo street in " in output
    assert "5 communities, 10 grids, 22 estates, 81 buildings, 207 units, 3,565 dwellings" in output
    assert "http://127.0.0.1:8123/" in output
    assert "http://127.0.0.1:8123/dev/sms/" in output
    assert "http://127.0.0.1:8123/dev/authenticator/" in output
    assert '"Send code" (获取验证码)' in output
    assert DEMO_PASSWORD in output
    for expected in (
        "demo-street",
        "demo-grid1",
        "demo-grid2",
        "demo-police",
        "demo-auditor",
        "13800000001",
        "13800000002",
    ):
        assert expected in output
    assert "东湖派出所 · 东湖街道" in output
    areas = Area.objects.count()
    again, _ = run("demo", "--scale", "small")
    assert "The demo street is already loaded." in again
    assert "demo-street" in again
    assert Area.objects.count() == areas
    other, _ = run("demo", "--scale", "street")
    assert "A demo street with scale small and seed 20261129 is already loaded; not loading scale street" in other
    assert Area.objects.count() == areas
    accounts, _ = run("demo_accounts")
    assert accounts == again.split("\n", 2)[2]


def test_demo_refuses_without_demo_mode(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="Demo mode is off"):
        run("demo", "--scale", "small")
    assert DemoDataset.objects.count() == 0
    assert Area.objects.count() == 0


def test_demo_leaves_a_database_with_other_areas_alone(tree, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    areas = Area.objects.count()
    output, errors = run("demo")
    assert output == ""
    assert "Not loading the demo street: This database already holds areas" in errors
    assert Area.objects.count() == areas
    assert DemoDataset.objects.count() == 0


def test_demo_accounts_without_a_demo(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="No demo street is loaded"):
        run("demo_accounts")
