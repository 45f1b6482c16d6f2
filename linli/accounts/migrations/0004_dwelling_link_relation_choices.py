"""The choices of a home link's relation and a check constraint that keeps it one of them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_dwelling_link_relation_values"),
        ("areas", "0002_area_deactivated_with"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dwellinglink",
            name="relation",
            field=models.CharField(
                choices=[("owner", "owner"), ("tenant", "tenant"), ("family", "family member")],
                default="owner",
                max_length=20,
                verbose_name="relation",
            ),
        ),
        migrations.AddConstraint(
            model_name="dwellinglink",
            constraint=models.CheckConstraint(
                condition=models.Q(("relation__in", ["owner", "tenant", "family"])),
                name="dwelling_link_relation_valid",
            ),
        ),
    ]
