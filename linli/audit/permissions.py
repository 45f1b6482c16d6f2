"""Audit rules: only the audit administrator (审计管理员) reads and exports audit events; the
system and security administrators cannot (separation of duties, 三员分立, SECURITY.md B5)."""

import rules

from linli.accounts.models import Role
from linli.accounts.permissions import holds_role

is_audit_admin = holds_role("is_audit_admin", frozenset({Role.AUDIT_ADMIN}))
rules.add_perm("audit.view_events", is_audit_admin)
rules.add_perm("audit.export_events", is_audit_admin)
