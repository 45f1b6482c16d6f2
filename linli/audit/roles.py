"""PostgreSQL: running the application as a role that cannot change audit rows.

The role that owns the tables (and runs the migrations) can always drop the append-only triggers.
The application should therefore run as a separate role that does not own them: on the audit
events it gets only SELECT and INSERT, on the chain head SELECT, INSERT and UPDATE (the head
advances by one event per append; the triggers refuse every other change), and no TRUNCATE, no
DELETE, no trigger or table changes anywhere in the audit tables. ``linli audit grant-app-role
ROLE`` applies this; re-run it after every upgrade (new tables get the rights through the default
privileges it sets, and the audit restrictions are applied again)."""

from __future__ import annotations

import re

from django.db import connection, transaction

from linli.audit.triggers import EVENT_TABLE, HEAD_TABLE

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(Exception):
    pass


def _owner_rights(role: str) -> str:
    """Why ``role`` would hold owner rights over the audit tables ('' when it does not)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            return f"role {role} does not exist (create it first: CREATE ROLE {role} LOGIN PASSWORD '…')"
        if row[0]:
            return f"role {role} is a superuser and bypasses every privilege"
        cursor.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename IN (%s, %s)",
            [EVENT_TABLE, HEAD_TABLE],
        )
        for (owner,) in cursor.fetchall():
            cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
            if cursor.fetchone()[0]:
                return f"role {role} owns the audit tables (or is a member of their owner {owner})"
    return ""


def grant_app_role(role: str) -> list[str]:
    """Grant ``role`` the application's rights, with read-and-append only on the audit tables.
    Returns the statements run."""
    if not ROLE_NAME.match(role):
        raise RoleError(f"{role!r} is not a plain lower-case PostgreSQL role name")
    reason = _owner_rights(role)
    if reason:
        raise RoleError(reason)
    name = connection.ops.quote_name(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {name}",
        f"REVOKE ALL ON {EVENT_TABLE}, {HEAD_TABLE} FROM {name}",
        f"GRANT SELECT, INSERT ON {EVENT_TABLE} TO {name}",
        f"GRANT SELECT, INSERT, UPDATE ON {HEAD_TABLE} TO {name}",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def audit_privileges(role: str) -> dict[str, set[str]]:
    """The privileges ``role`` holds on each audit table (for checks and tests)."""
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")
    held: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for table in (EVENT_TABLE, HEAD_TABLE):
            held[table] = set()
            for kind in kinds:
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, kind])
                if cursor.fetchone()[0]:
                    held[table].add(kind)
    return held
