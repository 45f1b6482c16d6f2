"""``Area.objects.within(area)`` is a range over the path index, not a table scan."""

from __future__ import annotations

import pytest
from django.db import connection

from linli.areas.models import Area


def plan_of(queryset) -> str:  # type: ignore[no-untyped-def]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_within_uses_the_path_index(tree):
    queryset = Area.objects.within(tree.community_a)
    assert set(queryset.values_list("pk", flat=True)) == set(
        Area.objects.filter(path__startswith=tree.community_a.path).values_list("pk", flat=True)
    )
    plan = plan_of(queryset)
    if connection.vendor == "sqlite":
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        assert "SCAN areas_area" not in plan, plan
    else:
        # The path column uses the "C" collation, so the B-tree answers the range directly.
        assert "Index" in plan and "areas_area_path" in plan, plan
        assert "Seq Scan" not in plan, plan


@pytest.mark.django_db
def test_kind_within_uses_the_kind_path_index(tree):
    from linli.areas.models import AreaKind

    plan = plan_of(Area.objects.within(tree.street).filter(kind=AreaKind.DWELLING).values("pk"))
    assert "SCAN areas_area" not in plan and "Seq Scan" not in plan, plan
    if connection.vendor == "sqlite":
        assert "area_kind_path_idx" in plan, plan


@pytest.mark.django_db
def test_scoping_several_areas_stays_on_the_index(tree):
    plan = plan_of(Area.objects.within(tree.grid_a1, tree.grid_b1))
    assert "SCAN areas_area" not in plan and "Seq Scan" not in plan, plan
