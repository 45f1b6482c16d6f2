"""A home link's relation is always one of the model's choices (newcomer finding 4: "resident"
reached the pages raw). The data migration maps old values; the database refuses new invalid ones."""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from linli import testing
from linli.accounts.models import DwellingLink, DwellingRelation

BEFORE = [("accounts", "0002_dwelling_link_status_path_idx")]
migration = importlib.import_module("linli.accounts.migrations.0003_dwelling_link_relation_values")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("resident", "owner"),
        ("", "owner"),
        ("owner", "owner"),
        ("Tenant", "tenant"),
        ("租户", "tenant"),
        ("业主", "owner"),
        ("家属", "family"),
        ("family", "family"),
    ],
)
def test_relation_choice_maps_old_values(old: str, new: str) -> None:
    assert migration.relation_choice(old) == new


@pytest.mark.django_db(transaction=True)
def test_migration_maps_invalid_relations_to_choices() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        OldArea = old_apps.get_model("areas", "Area")
        OldUser = old_apps.get_model("accounts", "User")
        OldLink = old_apps.get_model("accounts", "DwellingLink")
        root = OldArea.objects.create(kind=8, code="D1", name="101室", path="/990001/", depth=0)
        values = ["resident", "tenant", "租户", "family", "resident"]
        ids = []
        for number, value in enumerate(values):
            user = OldUser.objects.create(username=f"old{number}", kind="resident")
            ids.append(
                OldLink.objects.create(
                    user=user, dwelling=root, area_path=root.path, relation=value, status="revoked"
                ).pk
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    stored = dict(DwellingLink.objects.filter(pk__in=ids).values_list("pk", "relation"))
    assert [stored[pk] for pk in ids] == ["owner", "tenant", "tenant", "family", "owner"]


@pytest.mark.django_db
def test_database_refuses_an_invalid_relation(tree: testing.Tree) -> None:
    resident = testing.make_resident("13900000077")
    with pytest.raises(IntegrityError), transaction.atomic():
        DwellingLink.objects.create(
            user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path, relation="resident"
        )
    assert DwellingLink.objects.filter(user=resident).count() == 0


@pytest.mark.django_db
def test_a_link_without_a_relation_is_an_owner(tree: testing.Tree) -> None:
    resident = testing.make_resident("13900000078")
    link = DwellingLink.objects.create(user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path)
    link.refresh_from_db()
    assert link.relation == DwellingRelation.OWNER
    with translation.override("en"):
        assert link.get_relation_display() == "owner"
