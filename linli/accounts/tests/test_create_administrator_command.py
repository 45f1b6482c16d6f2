"""The operator's bootstrap command for the first administrator (no default accounts, A1)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from linli import testing
from linli.accounts.models import RoleAssignment, User


@pytest.mark.django_db
def test_first_administrator_is_created_once(tree: testing.Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_INITIAL_PASSWORD", "Strong-Initial-Pass-91")
    call_command("create_administrator", "root-admin", name="管理员", role="system_admin", area_code=tree.district.code)
    user = User.objects.get(username="root-admin")
    assert user.kind == "staff"
    assert user.password_changed_at is None  # must change at first sign-in
    assert RoleAssignment.objects.filter(user=user, role="system_admin", area=tree.district, revoked_at=None).exists()
    with pytest.raises(CommandError):
        call_command(
            "create_administrator", "second-admin", name="二号", role="system_admin", area_code=tree.district.code
        )
    assert not User.objects.filter(username="second-admin").exists()


@pytest.mark.django_db
def test_unknown_area_and_weak_password_are_refused(tree: testing.Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_INITIAL_PASSWORD", "Strong-Initial-Pass-91")
    with pytest.raises(CommandError, match="no district or street"):
        call_command("create_administrator", "a1", name="甲", role="audit_admin", area_code="999999")
    monkeypatch.setenv("LINLI_INITIAL_PASSWORD", "short")
    with pytest.raises(CommandError):
        call_command("create_administrator", "a2", name="乙", role="audit_admin", area_code=tree.district.code)
    assert not User.objects.filter(username__in=["a1", "a2"]).exists()
