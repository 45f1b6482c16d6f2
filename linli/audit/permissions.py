"""Audit rules: only the audit administrator reads audit events (separation of duties, B5)."""

import rules

from linli.accounts.models import Role
from linli.accounts.permissions import holds_role

is_audit_admin = holds_role("is_audit_admin", frozenset({Role.AUDIT_ADMIN}))
rules.add_perm("audit.view_events", is_audit_admin)
