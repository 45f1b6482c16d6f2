"""Signed-in, TOTP-verified staff sessions for benchmarks, created directly in the database the way
the login views leave them (session row, ``UserSession`` record, verified device)."""

from __future__ import annotations

from typing import Any


def verified_session_cookie(user: Any) -> str:
    """A ``linli_session=…`` cookie for ``user`` (a staff account with a confirmed TOTP device)."""
    import django_otp
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from linli.accounts.middleware import SESSION_RECORD_KEY
    from linli.accounts.models import StaffTOTPDevice, UserSession

    device = StaffTOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = StaffTOTPDevice.objects.create(user=user, confirmed=True, name="TOTP", encrypted_key="00" * 20)
    record = UserSession.objects.create(user=user, user_agent="linli-bench")
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "linli.accounts.backends.StaffPasswordBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    store[SESSION_RECORD_KEY] = str(record.id)
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
