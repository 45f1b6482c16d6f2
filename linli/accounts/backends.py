"""Password authentication for staff accounts only (residents sign in with a phone code)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from linli.accounts.models import AccountKind


class StaffPasswordBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        return bool(super().user_can_authenticate(user) and user.kind == AccountKind.STAFF)

    # Linli does not use Django's model permissions (auth_permission): every check is a named
    # rules predicate (rules.permissions.ObjectPermissionBackend). Answering here without a query
    # saves two queries on every page that checks a permission.
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return False

    def get_user(self, user_id: Any) -> Any:
        # Sessions of residents are also restored through this backend.
        from linli.accounts.models import User

        try:
            user = User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None
