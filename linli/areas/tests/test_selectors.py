"""Scoped reads: an actor sees the areas at and below their role areas, and nothing else."""

from __future__ import annotations

import pytest
from django.http import Http404

from linli.accounts.models import Role
from linli.areas import selectors
from linli.areas.models import Area
from linli.areas.tests.conftest import as_verified


@pytest.fixture
def grid_worker(tree, verified_staff):
    return verified_staff(Role.GRID_WORKER, tree.grid_a1)


@pytest.fixture
def officer(tree, verified_staff):
    return verified_staff(Role.STREET_OFFICER, tree.street)


@pytest.mark.django_db
class TestScoping:
    def test_grid_worker_sees_exactly_their_grid_subtree(self, tree, grid_worker):
        expected = set(Area.objects.filter(path__startswith=tree.grid_a1.path).values_list("pk", flat=True))
        assert set(selectors.areas_for(grid_worker).values_list("pk", flat=True)) == expected
        assert len(expected) == 5  # grid, estate, building, unit, dwelling
        assert selectors.get_area_for(grid_worker, tree.dwelling_a1.pk) == tree.dwelling_a1

    @pytest.mark.parametrize(
        "name", ["grid_b1", "community_b", "community_a", "street", "district", "dwelling_b1", "grid_a2"]
    )
    def test_grid_worker_gets_404_outside_their_grid(self, tree, grid_worker, name):
        with pytest.raises(Http404):
            selectors.get_area_for(grid_worker, getattr(tree, name).pk)

    def test_unknown_id_is_404_like_out_of_scope(self, grid_worker):
        with pytest.raises(Http404):
            selectors.get_area_for(grid_worker, 999_999)

    def test_street_officer_sees_the_whole_street(self, tree, officer):
        assert selectors.areas_for(officer).count() == Area.objects.count() - 1  # all but the district
        for name in ("grid_a1", "grid_b1", "community_b", "dwelling_b1", "street"):
            assert selectors.get_area_for(officer, getattr(tree, name).pk).pk == getattr(tree, name).pk
        with pytest.raises(Http404):
            selectors.get_area_for(officer, tree.district.pk)

    def test_editing_scope_is_narrower_than_viewing_scope(self, tree, verified_staff):
        leader = verified_staff(Role.COMMUNITY_LEADER, tree.community_a)
        assert selectors.get_area_for(leader, tree.grid_a1.pk) == tree.grid_a1
        from linli.accounts.permissions import AREA_EDITORS

        with pytest.raises(Http404):
            selectors.get_area_for(leader, tree.grid_a1.pk, roles=AREA_EDITORS)
        assert not selectors.can_change(leader, tree.grid_a1)

    def test_password_only_staff_and_residents_see_nothing(self, tree, make_staff, make_resident):
        password_only = make_staff(Role.STREET_OFFICER, tree.street)  # no verified TOTP device
        resident = make_resident()
        for actor in (password_only, resident):
            assert selectors.areas_for(actor).count() == 0
            assert selectors.top_areas_for(actor) == []
            with pytest.raises(Http404):
                selectors.get_area_for(actor, tree.grid_a1.pk)

    def test_revoked_roles_and_deactivated_role_areas_grant_nothing(self, tree, make_staff):
        from django.utils import timezone

        worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
        worker.roles.update(revoked_at=timezone.now())
        assert selectors.areas_for(as_verified(worker)).count() == 0
        officer = as_verified(make_staff(Role.STREET_OFFICER, tree.street))
        tree.street.is_active = False
        tree.street.save()
        assert selectors.areas_for(officer).count() == 0


@pytest.mark.django_db
class TestTreeReads:
    def test_top_areas_are_the_actors_role_areas_with_child_counts(self, tree, verified_staff):
        worker = verified_staff(Role.GRID_WORKER, tree.grid_a1)
        worker.roles.create(role=Role.GRID_WORKER, area=tree.grid_b1)
        top = selectors.top_areas_for(worker)
        assert [(area.pk, area.child_count) for area in top] == [(tree.grid_a1.pk, 1), (tree.grid_b1.pk, 1)]

    def test_nested_role_areas_are_not_repeated(self, tree, verified_staff):
        officer = verified_staff(Role.STREET_OFFICER, tree.street)
        officer.roles.create(role=Role.GRID_WORKER, area=tree.grid_a1)
        assert [area.pk for area in selectors.top_areas_for(officer)] == [tree.street.pk]

    def test_children_with_counts_in_one_query(self, tree, verified_staff, django_assert_num_queries):
        officer = verified_staff(Role.STREET_OFFICER, tree.street)
        selectors.areas_for(officer)  # grants are read once per request
        from linli.accounts.scoping import grants

        grants(officer)
        with django_assert_num_queries(1):
            children = list(selectors.children_for(officer, tree.community_a))
        assert [(area.pk, area.child_count) for area in children] == [(tree.grid_a1.pk, 1), (tree.grid_a2.pk, 1)]

    def test_children_are_in_numeric_code_order(self, tree, verified_staff):
        from linli.areas.actions import do_create_area
        from linli.areas.models import AreaKind

        officer = verified_staff(Role.STREET_OFFICER, tree.street)
        for code in ("10", "3", "A1"):
            do_create_area(kind=AreaKind.GRID, code=code, name=code, parent=tree.community_b, acting_user=officer)
        codes = [area.code for area in selectors.children_for(officer, tree.community_b)]
        assert codes == ["3", "01", "10", "A1"]

    def test_children_of_an_out_of_scope_area_is_404(self, tree, verified_staff):
        worker = verified_staff(Role.GRID_WORKER, tree.grid_a1)
        with pytest.raises(Http404):
            selectors.children_for(worker, tree.community_b)

    def test_breadcrumb_starts_at_the_actors_top_area(self, tree, verified_staff, django_assert_num_queries):
        worker = verified_staff(Role.GRID_WORKER, tree.grid_a1)
        officer = verified_staff(Role.STREET_OFFICER, tree.street)
        from linli.accounts.scoping import grants

        grants(worker)
        with django_assert_num_queries(1):
            crumbs = selectors.ancestors_of(tree.dwelling_a1, worker)
        assert [area.kind for area in crumbs] == [4, 5, 6, 7]
        assert crumbs[0].pk == tree.grid_a1.pk
        assert [area.pk for area in selectors.ancestors_of(tree.grid_a1, officer)] == [
            tree.street.pk,
            tree.community_a.pk,
        ]
        assert [area.pk for area in selectors.ancestors_of(tree.grid_a1)] == [
            tree.district.pk,
            tree.street.pk,
            tree.community_a.pk,
        ]

    def test_code_path(self, tree):
        assert selectors.code_path_of(tree.dwelling_b1) == "110105/001/002/01/01/1/1/101"
        assert selectors.code_path_of(tree.district) == "110105"
