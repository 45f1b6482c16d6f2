"""Password authentication for staff accounts only (residents sign in with a phone code)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from linli.accounts.models import AccountKind


class StaffPasswordBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        return bool(super().user_can_authenticate(user) and user.kind == AccountKind.STAFF)

    def get_user(self, user_id: Any) -> Any:
        # Sessions of residents are also restored through this backend.
        from linli.accounts.models import User

        try:
            user = User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None
