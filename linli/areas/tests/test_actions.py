"""Writes to the area tree: create, update, deactivate/reactivate, with their audit events."""

from __future__ import annotations

from unittest import mock

import pytest

from linli.accounts.models import Role
from linli.areas.actions import do_create_area, do_deactivate_area, do_reactivate_area, do_update_area
from linli.areas.models import Area, AreaKind
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, ValidationFailed

SQUARE = {"type": "Polygon", "coordinates": [[[116.4, 39.9], [116.5, 39.9], [116.5, 40.0], [116.4, 39.9]]]}


@pytest.fixture
def officer(tree, verified_staff):
    return verified_staff(Role.STREET_OFFICER, tree.street)


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


@pytest.mark.django_db
class TestCreate:
    def test_creates_with_id_path_depth_geometry_and_event(self, tree, officer):
        area = do_create_area(
            kind=AreaKind.GRID,
            code="03",
            name=" 花家地第三网格 ",
            parent=tree.community_a,
            acting_user=officer,
            geometry=SQUARE,
        )
        area.refresh_from_db()
        assert area.path == f"{tree.community_a.path}{area.pk}/"
        assert area.depth == tree.community_a.depth + 1
        assert area.name == "花家地第三网格"
        assert area.geometry == SQUARE
        [event] = events("area.created")[-1:]
        assert event.object_id == str(area.pk)
        assert event.actor_id == officer.pk
        assert event.detail == {"kind": "grid", "code": "03", "name": "花家地第三网格", "geometry": True}

    @pytest.mark.parametrize(
        ("kind", "code", "name", "expected"),
        [
            (AreaKind.GRID, "0 3", "x", "area_code_format"),
            (AreaKind.GRID, "", "x", "area_code_format"),
            (AreaKind.GRID, "03", "  ", "area_name_required"),
            (AreaKind.GRID, "03", "x" * 101, "area_name_length"),
            (AreaKind.STREET, "09", "x", "area_kind_order"),
            (AreaKind.GRID, "01", "x", "area_code_taken"),
        ],
    )
    def test_refuses_invalid_input_and_writes_nothing(self, tree, officer, kind, code, name, expected):
        before = (Area.objects.count(), AuditEvent.objects.count())
        with pytest.raises(ValidationFailed) as caught:
            do_create_area(kind=kind, code=code, name=name, parent=tree.community_a, acting_user=officer)
        assert caught.value.code == expected
        assert (Area.objects.count(), AuditEvent.objects.count()) == before

    def test_refuses_a_bad_geometry(self, tree, officer):
        before = Area.objects.count()
        with pytest.raises(ValidationFailed) as caught:
            do_create_area(
                kind=AreaKind.GRID,
                code="03",
                name="x",
                parent=tree.community_a,
                acting_user=officer,
                geometry={"type": "Point", "coordinates": [200, 10]},
            )
        assert caught.value.code == "geometry_range"
        assert caught.value.field == "geometry"
        assert Area.objects.count() == before

    def test_root_must_be_a_district_with_a_six_digit_code(self, db):
        with pytest.raises(ValidationFailed) as caught:
            do_create_area(kind=AreaKind.STREET, code="001", name="x", parent=None, acting_user=None)
        assert caught.value.code == "area_root_kind"
        with pytest.raises(ValidationFailed) as caught:
            do_create_area(kind=AreaKind.DISTRICT, code="1101", name="x", parent=None, acting_user=None)
        assert caught.value.code == "area_district_code"
        assert not Area.objects.exists()

    def test_refuses_a_child_under_a_deactivated_parent(self, tree, officer):
        do_deactivate_area(tree.grid_a2, acting_user=officer)
        before = Area.objects.count()
        with pytest.raises(Conflict) as caught:
            do_create_area(kind=AreaKind.ESTATE, code="09", name="x", parent=tree.grid_a2, acting_user=officer)
        assert caught.value.code == "area_inactive"
        assert Area.objects.count() == before

    def test_audit_failure_rolls_the_area_back(self, tree, officer):
        before = Area.objects.count()
        with mock.patch("linli.areas.actions.record_event", side_effect=RuntimeError("audit down")):
            with pytest.raises(RuntimeError):
                do_create_area(kind=AreaKind.GRID, code="03", name="x", parent=tree.community_a, acting_user=officer)
        assert Area.objects.count() == before


@pytest.mark.django_db
class TestUpdate:
    def test_changes_name_code_geometry_keeps_path_and_records_old_and_new(self, tree, officer):
        path = tree.grid_a1.path
        area = do_update_area(tree.grid_a1, acting_user=officer, name="新名称", code="11", geometry=SQUARE)
        area.refresh_from_db()
        assert (area.name, area.code, area.geometry, area.path) == ("新名称", "11", SQUARE, path)
        [event] = events("area.updated")
        assert event.object_id == str(area.pk)
        assert event.area_id == area.pk
        assert event.detail == {"name": ["花家地第一网格", "新名称"], "code": ["01", "11"], "geometry": "set"}

    def test_clearing_geometry_and_no_change_means_no_event(self, tree, officer):
        do_update_area(tree.grid_a1, acting_user=officer, geometry=SQUARE)
        do_update_area(tree.grid_a1, acting_user=officer, name="花家地第一网格", geometry=SQUARE)
        assert len(events("area.updated")) == 1
        do_update_area(tree.grid_a1, acting_user=officer, geometry="")
        tree.grid_a1.refresh_from_db()
        assert tree.grid_a1.geometry is None
        assert events("area.updated")[-1].detail == {"geometry": "cleared"}

    def test_a_sibling_code_is_refused(self, tree, officer):
        with pytest.raises(ValidationFailed) as caught:
            do_update_area(tree.grid_a1, acting_user=officer, code="02")
        assert caught.value.code == "area_code_taken"
        tree.grid_a1.refresh_from_db()
        assert tree.grid_a1.code == "01"
        assert events("area.updated") == []

    def test_the_same_code_under_another_parent_is_fine(self, tree, officer):
        do_update_area(tree.grid_b1, acting_user=officer, code="02")
        tree.grid_b1.refresh_from_db()
        assert tree.grid_b1.code == "02"

    def test_a_district_keeps_a_six_digit_code(self, tree, officer):
        with pytest.raises(ValidationFailed) as caught:
            do_update_area(tree.district, acting_user=officer, code="ABC")
        assert caught.value.code == "area_district_code"


@pytest.mark.django_db
class TestDeactivation:
    def test_deactivates_the_subtree_and_reactivation_restores_exactly_it(self, tree, officer):
        subtree = set(Area.objects.within(tree.community_a).values_list("pk", flat=True))
        # A dwelling deactivated on its own before stays deactivated after the community returns.
        assert do_deactivate_area(tree.dwelling_a2, acting_user=officer) == 1
        count = do_deactivate_area(tree.community_a, acting_user=officer)
        assert count == len(subtree) - 1
        assert set(Area.objects.filter(is_active=False).values_list("pk", flat=True)) == subtree
        assert (
            Area.objects.filter(is_active=True).within(tree.community_b).count()
            == Area.objects.within(tree.community_b).count()
        )
        [_, event] = events("area.deactivated")
        assert event.object_id == str(tree.community_a.pk)
        assert event.detail == {"areas": len(subtree) - 1, "kind": "community"}

        assert do_reactivate_area(tree.community_a, acting_user=officer) == len(subtree) - 1
        assert set(Area.objects.filter(is_active=False).values_list("pk", flat=True)) == {tree.dwelling_a2.pk}
        assert events("area.reactivated")[-1].detail == {"areas": len(subtree) - 1, "kind": "community"}

    def test_refused_while_roles_are_held_below(self, tree, officer, make_staff):
        make_staff(Role.GRID_WORKER, tree.grid_a1)
        with pytest.raises(Conflict) as caught:
            do_deactivate_area(tree.community_a, acting_user=officer)
        assert caught.value.code == "area_roles_held"
        assert not Area.objects.filter(is_active=False).exists()
        assert events("area.deactivated") == []
        # the officer's own street is refused too: nobody deactivates their own jurisdiction away
        with pytest.raises(Conflict):
            do_deactivate_area(tree.street, acting_user=officer)

    def test_reactivation_needs_an_active_parent(self, tree, officer):
        do_deactivate_area(tree.grid_a2, acting_user=officer)
        do_deactivate_area(tree.community_b, acting_user=officer)
        estate = Area.objects.get(parent=tree.grid_b1)
        with pytest.raises(Conflict) as caught:
            do_reactivate_area(estate, acting_user=officer)
        assert caught.value.code == "area_parent_inactive"
        assert not Area.objects.get(pk=estate.pk).is_active

    def test_double_deactivation_and_reactivation_are_conflicts(self, tree, officer):
        with pytest.raises(Conflict):
            do_reactivate_area(tree.grid_a2, acting_user=officer)
        do_deactivate_area(tree.grid_a2, acting_user=officer)
        with pytest.raises(Conflict):
            do_deactivate_area(tree.grid_a2, acting_user=officer)
        assert len(events("area.deactivated")) == 1
