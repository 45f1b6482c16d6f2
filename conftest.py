"""Project-wide pytest fixtures (see linli/testing.py and, for browser tests, linli/testing_browser.py)."""

from __future__ import annotations

import pytest

from linli import testing

# The Playwright browser-test harness: its fixtures (chromium, screenshot_dir, open_browser) for every test.
pytest_plugins = ["linli.testing_browser"]


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test writes SMS and e-mail to its own place, and jobs run in-process (never into the
    developer's data/jobs.sqlite3)."""
    from django.core.cache import cache
    from huey.contrib.djhuey import HUEY

    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        cache.clear()  # rate-limit counters must not leak between tests (the database cache rolls back)

    settings.LINLI_SMS_OUTBOX = tmp_path / "sms-outbox.jsonl"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = True
    settings.PASSWORD_HASHERS = ["linli.testing.CheapArgon2PasswordHasher"]
    immediate = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = immediate


@pytest.fixture
def tree(db):  # type: ignore[no-untyped-def]
    return testing.build_tree()


@pytest.fixture
def make_staff(db):  # type: ignore[no-untyped-def]
    return testing.make_staff


@pytest.fixture
def make_resident(db):  # type: ignore[no-untyped-def]
    return testing.make_resident


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The rate limiter and API throttles use the database cache: create its table in the test DB."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)
