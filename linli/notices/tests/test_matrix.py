"""Role × area matrix for notices: who may publish to grid A1, grid B1, community A and the street;
who sees a notice to grid A1 (staff list and page); who may correct, withdraw and remind. Every
denial answers 404 (pages) or is refused (actions) and changes nothing."""

from __future__ import annotations

import pytest

from linli.audit.models import AuditEvent
from linli.core.errors import PermissionRefused
from linli.notices import actions
from linli.notices.models import Notice
from linli.notices.tests.conftest import World, publish, verified

pytestmark = pytest.mark.django_db

STAFF = ["grid_worker_a1", "grid_worker_b1", "community_worker_a", "street_officer", "department_officer"]
TARGETS = ["grid_a1", "grid_b1", "community_a", "street"]
# role → targets it may publish to
PUBLISH = {
    "grid_worker_a1": {"grid_a1"},
    "grid_worker_b1": {"grid_b1"},
    "community_worker_a": {"grid_a1", "community_a"},
    "street_officer": {"grid_a1", "grid_b1", "community_a", "street"},
    "department_officer": set(),
}
# role → sees the notice to grid A1 / may correct and withdraw it
SEES_A1 = {"grid_worker_a1", "community_worker_a", "street_officer"}
MANAGES_A1 = {"grid_worker_a1", "community_worker_a", "street_officer"}


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("target", TARGETS)
def test_publish_matrix(world: World, role: str, target: str) -> None:
    actor = getattr(world, role)
    area = getattr(world.tree, target)
    allowed = target in PUBLISH[role]
    assert verified(actor).has_perm("notices.publish_notice", area) is allowed
    before = AuditEvent.objects.count()
    if allowed:
        assert publish(area, actor).area_id == area.pk
    else:
        with pytest.raises(PermissionRefused):
            publish(area, actor)
        assert (Notice.objects.count(), AuditEvent.objects.count()) == (0, before)
    # The form offers exactly the allowed areas (street, community, grid and estate levels).
    page = world.client(actor).get("/notices/new/")
    if PUBLISH[role]:
        assert (f'<option value="{area.pk}"' in page.content.decode()) is allowed
    else:
        assert page.status_code == 404


@pytest.mark.parametrize("role", [*STAFF, "a1", "a2", "b1"])
def test_view_and_manage_matrix(world: World, role: str) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="A1 停水")
    actor = getattr(world, role)
    client = world.client(actor)
    sees = role in SEES_A1 or role == "a1"
    assert client.get(f"/notices/{notice.pk}/").status_code == (200 if sees else 404)
    if role in STAFF:
        listing = client.get("/notices/staff/")
        assert listing.status_code == (404 if role == "department_officer" else 200)
        assert ("A1 停水" in listing.content.decode()) is (role in SEES_A1)
    manages = role in MANAGES_A1
    assert client.get(f"/notices/{notice.pk}/correct/").status_code == (200 if manages else 404)
    response = client.post(f"/notices/{notice.pk}/withdraw/", {"reason": "测试撤回"})
    assert response.status_code == (302 if manages else 404)
    assert Notice.objects.get(pk=notice.pk).status == ("withdrawn" if manages else "published")


def test_staff_see_notices_addressed_above_their_area_but_cannot_change_them(world: World) -> None:
    notice = publish(world.tree.street, world.street_officer, title="街道通知")
    client = world.client(world.grid_worker_b1)
    assert client.get(f"/notices/{notice.pk}/").status_code == 200
    assert "街道通知" in client.get("/notices/staff/").content.decode()
    assert client.get(f"/notices/{notice.pk}/correct/").status_code == 404
    with pytest.raises(PermissionRefused):
        actions.do_withdraw_notice(notice, reason="越权撤回", acting_user=verified(world.grid_worker_b1))
    assert Notice.objects.get(pk=notice.pk).status == "published"
    # A reminder from grid B1's worker reaches only grid B1's unread residents.
    assert actions.do_remind_unread(notice, acting_user=verified(world.grid_worker_b1)) == 1


def test_password_only_staff_sessions_reach_nothing(world: World) -> None:
    from linli import testing

    notice = publish(world.tree.grid_a1, world.grid_worker_a1)
    client = testing.client_for(world.grid_worker_a1, second_factor=False)
    for path in ("/notices/staff/", "/notices/new/", f"/notices/{notice.pk}/"):
        assert client.get(path)["Location"].startswith("/accounts/second-factor/")
