"""GET /areas, /areas/{id}, /areas/{id}/children: B2 jurisdiction scoping (404 outside), token
narrowing, filters, page-size cap and pinned query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli import testing
from linli.accounts.models import Role
from linli.api.tests.conftest import bearer
from linli.areas.models import Area, AreaKind

pytestmark = pytest.mark.django_db

TARGETS = (
    "district",
    "street",
    "community_a",
    "community_b",
    "grid_a1",
    "grid_a2",
    "grid_b1",
    "dwelling_a1",
    "dwelling_b1",
)
ACTORS = [
    (Role.GRID_WORKER, "grid_a1"),
    (Role.COMMUNITY_WORKER, "community_a"),
    (Role.COMMUNITY_LEADER, "community_b"),
    (Role.STREET_OFFICER, "street"),
    (Role.DEPARTMENT_OFFICER, "street"),
    (Role.SYSTEM_ADMIN, "district"),
    (Role.SECURITY_ADMIN, "district"),
]


def _subtree_ids(area: Area) -> list[int]:
    return list(Area.objects.within(area).order_by("path").values_list("id", flat=True))


def _staff(make_staff, tree, role: str, area_name: str):
    department = tree.department if role == Role.DEPARTMENT_OFFICER else None
    return make_staff(role, getattr(tree, area_name), department=department)


def test_grid_worker_lists_only_own_grid_subtree(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = testing.client_for(worker).get("/api/v1/areas")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert (body["limit"], body["offset"]) == (20, 0)
    assert [item["id"] for item in body["items"]] == _subtree_ids(tree.grid_a1)
    assert body["items"][0] == {
        "id": tree.grid_a1.pk,
        "kind": 4,
        "kind_label": "grid",
        "code": "01",
        "name": tree.grid_a1.name,
        "parent_id": tree.community_a.pk,
        "depth": 3,
        "is_active": True,
    }


@pytest.mark.parametrize(("role", "area_name"), ACTORS)
def test_scope_matrix_session(tree, make_staff, role, area_name) -> None:
    """Role × jurisdiction × object: list = the subtree of the role's area; detail 200 inside,
    404 outside."""
    actor = _staff(make_staff, tree, role, area_name)
    home = getattr(tree, area_name)
    client = testing.client_for(actor)
    listed = client.get("/api/v1/areas?limit=100").json()
    assert [item["id"] for item in listed["items"]] == _subtree_ids(home)
    for target_name in TARGETS:
        target = getattr(tree, target_name)
        expected = 200 if target.path.startswith(home.path) else 404
        assert client.get(f"/api/v1/areas/{target.pk}").status_code == expected, (role, target_name)
        assert client.get(f"/api/v1/areas/{target.pk}/children").status_code == expected, (role, target_name)


def test_grid_worker_gets_404_for_other_grid_with_session_and_token(tree, make_staff, mint_token) -> None:
    """Done means: a grid worker of grid A gets 404 for an object of grid B, in the API."""
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    for client in (testing.client_for(worker), bearer(mint_token(worker, tree.grid_a1))):
        for url in (
            f"/api/v1/areas/{tree.grid_b1.pk}",
            f"/api/v1/areas/{tree.dwelling_b1.pk}",
            f"/api/v1/areas/{tree.grid_b1.pk}/children",
        ):
            response = client.get(url)
            assert response.status_code == 404
            assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}
        assert client.get(f"/api/v1/areas/{tree.grid_a1.pk}").status_code == 200
        assert client.get(f"/api/v1/areas?parent={tree.community_b.pk}").json()["count"] == 0


def test_unknown_area_is_404_like_out_of_scope(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    missing = Area.objects.order_by("-id").first().pk + 1000
    assert client.get(f"/api/v1/areas/{missing}").json() == client.get(f"/api/v1/areas/{tree.grid_b1.pk}").json()


def test_street_officer_token_scoped_to_grid_sees_only_that_subtree(tree, make_staff, mint_token) -> None:
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    assert testing.client_for(officer).get("/api/v1/areas?limit=100").json()["count"] == len(_subtree_ids(tree.street))
    client = bearer(mint_token(officer, tree.grid_a1))
    listed = client.get("/api/v1/areas?limit=100").json()
    assert [item["id"] for item in listed["items"]] == _subtree_ids(tree.grid_a1)
    for target in (tree.grid_a2, tree.grid_b1, tree.community_a, tree.street, tree.dwelling_b1):
        assert client.get(f"/api/v1/areas/{target.pk}").status_code == 404
    assert client.get(f"/api/v1/areas/{tree.dwelling_a1.pk}").status_code == 200


def test_area_detail_in_scope_and_404_outside(tree, make_staff) -> None:
    Area.objects.filter(pk=tree.grid_a1.pk).update(geometry={"type": "Point", "coordinates": [116.47, 39.99]})
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    response = client.get(f"/api/v1/areas/{tree.grid_a1.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": tree.grid_a1.pk,
        "kind": 4,
        "kind_label": "grid",
        "code": "01",
        "name": tree.grid_a1.name,
        "parent_id": tree.community_a.pk,
        "depth": 3,
        "is_active": True,
        "path": tree.grid_a1.path,
        "geometry": {"type": "Point", "coordinates": [116.47, 39.99]},
    }
    assert client.get(f"/api/v1/areas/{tree.grid_a2.pk}").status_code == 404
    assert client.get("/api/v1/areas/not-a-number").status_code == 422


def test_children_in_scope_and_404_outside(tree, make_staff) -> None:
    leader = make_staff(Role.COMMUNITY_LEADER, tree.community_a)
    client = testing.client_for(leader)
    response = client.get(f"/api/v1/areas/{tree.community_a.pk}/children")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [tree.grid_a1.pk, tree.grid_a2.pk]
    assert body["count"] == 2
    assert (
        client.get(f"/api/v1/areas/{tree.community_a.pk}/children?limit=1&offset=1").json()["items"][0]["id"]
        == tree.grid_a2.pk
    )
    assert client.get(f"/api/v1/areas/{tree.street.pk}/children").status_code == 404
    assert client.get(f"/api/v1/areas/{tree.community_b.pk}/children").status_code == 404


def test_filters(tree, make_staff) -> None:
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    client = testing.client_for(officer)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/areas?{query}")
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert ids(f"kind={AreaKind.GRID}") == [tree.grid_a1.pk, tree.grid_a2.pk, tree.grid_b1.pk]
    assert ids(f"parent={tree.community_a.pk}") == [tree.grid_a1.pk, tree.grid_a2.pk]
    assert ids("q=南湖") == [
        item.pk for item in Area.objects.within(tree.community_b).filter(name__contains="南湖").order_by("path")
    ]
    assert ids(f"kind={AreaKind.COMMUNITY}&q=002") == [tree.community_b.pk]
    assert ids(f"parent={tree.district.pk}") == [tree.street.pk]  # children in the remit only
    assert ids(f"parent={tree.grid_b1.pk}&kind={AreaKind.GRID}") == []
    assert client.get("/api/v1/areas?kind=9").status_code == 422
    assert client.get("/api/v1/areas?q=" + "x" * 101).status_code == 422


def test_page_size_cap(tree, make_staff, settings) -> None:
    worker = make_staff(Role.STREET_OFFICER, tree.street)
    client = testing.client_for(worker)
    response = client.get("/api/v1/areas?limit=101")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {
            "location": "query",
            "field": "limit",
            "type": "less_than_equal",
            "message": "Input should be less than or equal to 100",
        }
    ]
    assert client.get("/api/v1/areas?limit=0").status_code == 422
    assert client.get("/api/v1/areas?offset=-1").status_code == 422
    settings.LINLI_API_MAX_PAGE_SIZE = 3
    response = client.get("/api/v1/areas?limit=4")
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "At most 3 items per page.",
            "fields": [
                {"location": "query", "field": "limit", "type": "invalid", "message": "At most 3 items per page."}
            ],
        }
    }
    body = client.get("/api/v1/areas?limit=3&offset=3").json()
    assert len(body["items"]) == 3
    assert body["offset"] == 3


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("use_token", [False, True])
def test_list_query_count_is_constant(tree, make_staff, mint_token, django_assert_max_num_queries, use_token) -> None:
    unit = Area.objects.get(pk=tree.dwelling_a1.parent_id)
    for number in range(60):
        testing.create_area(AreaKind.DWELLING, f"2{number:02d}", f"{200 + number}室", unit)
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = bearer(mint_token(worker, tree.grid_a1)) if use_token else testing.client_for(worker)
    client.get("/api/v1/areas?limit=1")  # warm up once-per-process lookups
    small = _queries(client, "/api/v1/areas?limit=10")
    large = _queries(client, "/api/v1/areas?limit=50")
    assert small == large
    # session (or token) 4, throttle counter 6 on the database cache, grants 1, count 1, rows 1
    with django_assert_max_num_queries(13):
        body = client.get("/api/v1/areas?limit=50").json()
    assert len(body["items"]) == 50
    assert body["count"] == 65
    children = _queries(client, f"/api/v1/areas/{unit.pk}/children?limit=10")
    assert children == _queries(client, f"/api/v1/areas/{unit.pk}/children?limit=50")
