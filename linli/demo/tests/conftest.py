"""Fixtures for the demo tests: the small demo street loaded through the real action."""

from __future__ import annotations

import pytest

from linli.demo.actions import do_load_demo
from linli.demo.generator import DEFAULT_SEED


@pytest.fixture
def demo_street(db, settings):  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    return do_load_demo(scale="small", seed=DEFAULT_SEED)
