"""Close the rewrite paths that the append-only triggers of 0002/0004 left open.

* SQLite's ``INSERT OR REPLACE`` / ``REPLACE INTO`` deletes a conflicting audit row without firing
  the DELETE trigger: an event may now only be inserted as the next link of the chain (id one above
  the head's, ``previous_hash`` the head's hash), never over an existing id or hash.
* The chain head had no INSERT or UPDATE guard: it can now be inserted only once into an empty log,
  and updated only to advance by one event to an existing event that links to the previous head;
  its keying boundary and seal (0005) never change.
* SQLite: 0005 rebuilt the head table, which dropped its DELETE trigger; it is created again.
* PostgreSQL: UPDATE, DELETE and TRUNCATE on the audit tables are revoked from PUBLIC (the app's
  own role is handled by ``linli audit grant-app-role``, see docs/decisions/0008-audit-chain.md).

The statements are frozen here; ``linli/audit/triggers.py`` holds the current definitions."""

from django.db import migrations

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS audit_chain_head_no_delete",
    "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_auditchainhead FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER audit_event_append_only_insert BEFORE INSERT ON audit_auditevent FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM audit_auditchainhead WHERE id = 1 AND last_event_id + 1 = NEW.id AND last_hash = NEW.previous_hash) OR EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM audit_auditevent WHERE hash = NEW.hash) BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER audit_chain_head_insert_once BEFORE INSERT ON audit_auditchainhead FOR EACH ROW WHEN NEW.id IS NOT 1 OR NEW.last_event_id IS NOT 0 OR NEW.last_hash IS NOT '0000000000000000000000000000000000000000000000000000000000000000' OR NEW.keyed_from IS NOT 1 OR EXISTS (SELECT 1 FROM audit_auditchainhead) OR EXISTS (SELECT 1 FROM audit_auditevent) BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER audit_chain_head_advance_only BEFORE UPDATE ON audit_auditchainhead FOR EACH ROW WHEN NEW.id IS NOT OLD.id OR NEW.keyed_from IS NOT OLD.keyed_from OR NEW.keyed_seal IS NOT OLD.keyed_seal OR NEW.last_event_id IS NOT OLD.last_event_id + 1 OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.last_event_id AND hash = NEW.last_hash AND previous_hash = OLD.last_hash) BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_append_only_insert",
    "DROP TRIGGER IF EXISTS audit_chain_head_insert_once",
    "DROP TRIGGER IF EXISTS audit_chain_head_advance_only",
]
POSTGRES_FORWARD = [
    "CREATE OR REPLACE FUNCTION audit_event_check_append() RETURNS trigger AS $$\n    BEGIN\n      IF NOT EXISTS (SELECT 1 FROM audit_auditchainhead WHERE id = 1 AND last_event_id + 1 = NEW.id\n                     AND last_hash = NEW.previous_hash)\n         OR EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id)\n         OR EXISTS (SELECT 1 FROM audit_auditevent WHERE hash = NEW.hash) THEN\n        RAISE EXCEPTION 'audit events are append-only';\n      END IF;\n      RETURN NEW;\n    END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION audit_chain_head_check_insert() RETURNS trigger AS $$\n    BEGIN\n      IF NEW.id IS DISTINCT FROM 1 OR NEW.last_event_id IS DISTINCT FROM 0\n         OR NEW.last_hash IS DISTINCT FROM '0000000000000000000000000000000000000000000000000000000000000000' OR NEW.keyed_from IS DISTINCT FROM 1\n         OR EXISTS (SELECT 1 FROM audit_auditchainhead) OR EXISTS (SELECT 1 FROM audit_auditevent) THEN\n        RAISE EXCEPTION 'audit events are append-only';\n      END IF;\n      RETURN NEW;\n    END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION audit_chain_head_check_update() RETURNS trigger AS $$\n    BEGIN\n      IF NEW.id IS DISTINCT FROM OLD.id OR NEW.keyed_from IS DISTINCT FROM OLD.keyed_from\n         OR NEW.keyed_seal IS DISTINCT FROM OLD.keyed_seal\n         OR NEW.last_event_id IS DISTINCT FROM OLD.last_event_id + 1\n         OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.last_event_id AND hash = NEW.last_hash\n                        AND previous_hash = OLD.last_hash) THEN\n        RAISE EXCEPTION 'audit events are append-only';\n      END IF;\n      RETURN NEW;\n    END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_event_append_only_insert BEFORE INSERT ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_event_check_append()",
    "CREATE TRIGGER audit_chain_head_insert_once BEFORE INSERT ON audit_auditchainhead FOR EACH ROW EXECUTE FUNCTION audit_chain_head_check_insert()",
    "CREATE TRIGGER audit_chain_head_advance_only BEFORE UPDATE ON audit_auditchainhead FOR EACH ROW EXECUTE FUNCTION audit_chain_head_check_update()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM PUBLIC",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditchainhead FROM PUBLIC",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_append_only_insert ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_chain_head_insert_once ON audit_auditchainhead",
    "DROP TRIGGER IF EXISTS audit_chain_head_advance_only ON audit_auditchainhead",
    "DROP FUNCTION IF EXISTS audit_event_check_append()",
    "DROP FUNCTION IF EXISTS audit_chain_head_check_insert()",
    "DROP FUNCTION IF EXISTS audit_chain_head_check_update()",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = POSTGRES_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = POSTGRES_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_keyed_chain_head")]
    operations = [migrations.RunPython(forward, backward)]
