"""Key the audit chain: from now on each event's hash is an HMAC under LINLI_AUDIT_CHAIN_KEY.

Existing events keep their plain SHA-256 hashes (rewriting them would itself be a rewrite of the
audit log). The chain head records the first keyed event id, ``keyed_from``, and a seal (an HMAC
of it) so that nobody without the key can move the boundary to pass a rewritten chain off as an
old, unkeyed one. On SQLite, adding the columns rebuilds the head table and drops its trigger;
migration 0006 creates the head's triggers again."""

from django.db import migrations, models


def seal_existing_head(apps, schema_editor):  # type: ignore[no-untyped-def]
    from linli.audit.models import keying_seal

    head_model = apps.get_model("audit", "AuditChainHead")
    for head in head_model.objects.all():
        head.keyed_from = head.last_event_id + 1
        head.keyed_seal = keying_seal(head.keyed_from)
        head.save(update_fields=["keyed_from", "keyed_seal"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_refuse_truncate_and_head_delete")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="keyed_from",
            field=models.BigIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="keyed_seal",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunPython(seal_existing_head, migrations.RunPython.noop),
    ]
