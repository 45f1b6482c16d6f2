"""A home link's relation becomes one of owner / tenant / family member (data step; the next
migration adds the choices and the check constraint).

Before this, the column had no choices and defaulted to "resident" (the demo wrote that value for
every link), which the pages showed raw. Invalid values are mapped to a choice first: known Chinese
or English synonyms to their choice, anything else ("resident", empty) to "owner", the relation the
demo meant and the commonest one."""

from django.db import migrations

VALID_RELATIONS = ("owner", "tenant", "family")
SYNONYMS = {
    "业主": "owner",
    "房主": "owner",
    "产权人": "owner",
    "租户": "tenant",
    "租客": "tenant",
    "renter": "tenant",
    "家庭成员": "family",
    "家属": "family",
    "family member": "family",
}
FALLBACK_RELATION = "owner"


def relation_choice(value: str) -> str:
    """The choice an old relation value means."""
    text = (value or "").strip().lower()
    if text in VALID_RELATIONS:
        return text
    return SYNONYMS.get(text, FALLBACK_RELATION)


def map_invalid_relations(apps, schema_editor):  # type: ignore[no-untyped-def]
    DwellingLink = apps.get_model("accounts", "DwellingLink")
    invalid = DwellingLink.objects.using(schema_editor.connection.alias).exclude(relation__in=VALID_RELATIONS)
    for value in sorted(set(invalid.values_list("relation", flat=True))):
        invalid.filter(relation=value).update(relation=relation_choice(value))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_dwelling_link_status_path_idx"),
    ]

    operations = [
        migrations.RunPython(map_invalid_relations, migrations.RunPython.noop),
    ]
