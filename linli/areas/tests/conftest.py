"""Area tests assert the English source messages: run them in English; staged uploads go to a
temporary folder."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"
    settings.LINLI_IMPORT_STAGING_DIR = tmp_path / "imports"
    with translation.override("en"):
        yield


def as_verified(user):  # type: ignore[no-untyped-def]
    """The user as OTPMiddleware leaves it after the TOTP step, for calling selectors and actions
    directly (``testing.client_for`` does the same for page tests)."""
    user.otp_device = user.stafftotpdevice_set.get()
    user.is_verified = lambda: True
    return user


@pytest.fixture
def verified_staff(make_staff):  # type: ignore[no-untyped-def]
    def make(role, area, **kwargs):  # type: ignore[no-untyped-def]
        return as_verified(make_staff(role, area, **kwargs))

    return make
