"""Actions on home links, called directly: identity checks, duplicates, transitions with one
winner, audit events inside the transaction, notifications to the resident."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection
from django.utils import translation

from linli import testing
from linli.accounts.actions import residents as actions
from linli.accounts.models import DwellingLink
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    ID_B,
    ID_C,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    request_link,
    world_fixture,
)
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, PermissionRefused, ValidationFailed
from linli.notify.models import Notification
from linli.privacy.crypto import blind_index


@pytest.mark.django_db
def test_request_stores_the_id_number_encrypted_with_its_blind_index(world: World) -> None:
    resident = world.resident_a
    resident.refresh_from_db()
    assert resident.id_number == ID_A
    assert resident.id_number_index == blind_index(ID_A, purpose="id_number")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM accounts_user WHERE id = %s", [resident.pk])
        stored = cursor.fetchone()[0]
    assert ID_A not in stored
    event = AuditEvent.objects.get(event_type="resident.link_requested", object_id=str(world.link_a1.pk))
    assert ID_A not in str(event.detail)
    assert event.area_id == world.tree.dwelling_a1.pk


@pytest.mark.django_db
def test_request_accepts_a_lower_case_x_check_character(world: World) -> None:
    first17 = "11010519491231002"
    from linli.privacy.validators import id_number_check_character

    number = first17 + id_number_check_character(first17)
    resident = testing.make_resident()
    request_link(resident, world.tree.dwelling_a2, number.lower())
    resident.refresh_from_db()
    assert resident.id_number == number.upper()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "id_number", "relation", "field"),
    [
        ("", ID_C, "owner", "real_name"),
        ("王五", "110105198001011234", "owner", "id_number"),
        ("王五", "12345", "owner", "id_number"),
        ("王五", ID_C, "landlord", "relation"),
    ],
)
def test_request_validates_identity(world: World, name: str, id_number: str, relation: str, field: str) -> None:
    resident = testing.make_resident(name="")
    with pytest.raises(ValidationFailed) as caught:
        actions.do_request_dwelling_link(
            resident,
            dwelling=world.tree.dwelling_a2,
            real_name=name,
            id_number=id_number,
            relation=relation,
            acting_user=resident,
        )
    assert caught.value.field == field
    assert DwellingLink.objects.filter(user=resident).count() == 0
    resident.refresh_from_db()
    assert (resident.display_name, resident.id_number) == ("", "")


@pytest.mark.django_db
def test_request_needs_a_dwelling(world: World) -> None:
    resident = testing.make_resident()
    with pytest.raises(ValidationFailed) as caught:
        request_link(resident, world.tree.dwelling_a2.parent, ID_C)
    assert caught.value.code == "dwelling_required"


@pytest.mark.django_db
def test_request_by_staff_or_for_someone_else_is_refused(world: World) -> None:
    staff = world.staff["street_officer"]
    with pytest.raises(PermissionRefused):
        actions.do_request_dwelling_link(
            staff,
            dwelling=world.tree.dwelling_a2,
            real_name="王五",
            id_number=ID_C,
            relation="owner",
            acting_user=staff,
        )
    with pytest.raises(PermissionRefused):
        actions.do_request_dwelling_link(
            world.resident_b,
            dwelling=world.tree.dwelling_a2,
            real_name="王五",
            id_number=ID_C,
            relation="owner",
            acting_user=world.resident_a,
        )
    assert DwellingLink.objects.filter(dwelling=world.tree.dwelling_a2).count() == 0


@pytest.mark.django_db
def test_duplicate_open_link_is_a_conflict(world: World) -> None:
    with pytest.raises(Conflict) as caught:
        request_link(world.resident_a, world.tree.dwelling_a1, ID_A)
    assert caught.value.code == "link_exists"
    assert DwellingLink.objects.filter(user=world.resident_a).count() == 1


@pytest.mark.django_db
def test_unique_constraint_race_is_a_conflict(world: World) -> None:
    """Two concurrent requests both pass the existence check; the database constraint decides."""
    with mock.patch.object(DwellingLink.objects, "filter", wraps=DwellingLink.objects.filter) as patched:
        patched.return_value.exists = lambda: False  # type: ignore[attr-defined]
        patched.side_effect = None
        with pytest.raises(Conflict):
            request_link(world.resident_a, world.tree.dwelling_a1, ID_A)
    assert DwellingLink.objects.filter(user=world.resident_a).count() == 1


@pytest.mark.django_db
def test_id_number_cannot_change_after_verification(world: World) -> None:
    actions.do_verify_dwelling_link(world.link_a1, acting_user=_verified(world.staff["street_officer"]))
    with pytest.raises(ValidationFailed) as caught:
        request_link(world.resident_a, world.tree.dwelling_a2, ID_C)
    assert caught.value.code == "id_number_mismatch"
    world.resident_a.refresh_from_db()
    assert world.resident_a.id_number == ID_A
    request_link(world.resident_a, world.tree.dwelling_a2, ID_A)  # the same number is fine


def _verified(user):  # type: ignore[no-untyped-def]
    """A staff user object as a TOTP-verified request would carry it."""
    user.is_verified = lambda: True
    return user


@pytest.mark.django_db
def test_verify_writes_audit_and_notification_in_one_transaction(world: World) -> None:
    officer = _verified(world.staff["street_officer"])
    with mock.patch("linli.accounts.actions.residents.record_event", side_effect=RuntimeError("audit down")):
        with pytest.raises(RuntimeError):
            actions.do_verify_dwelling_link(world.link_a1, acting_user=officer)
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "pending"
    assert Notification.objects.count() == 0
    link = actions.do_verify_dwelling_link(world.link_a1, acting_user=officer)
    assert (link.status, link.method, link.decided_by_id) == ("verified", "staff", officer.pk)
    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.kind, notification.url) == (
        world.resident_a.pk,
        "resident.link_verified",
        "/home/",
    )
    # the resident prefers SMS: one delivery is queued for after commit
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["sms"]


@pytest.mark.django_db
def test_double_verification_has_one_winner(world: World) -> None:
    officer = _verified(world.staff["street_officer"])
    leader = _verified(world.staff["community_worker_a"])
    actions.do_verify_dwelling_link(world.link_a1, acting_user=officer)
    with pytest.raises(Conflict):
        actions.do_verify_dwelling_link(world.link_a1, acting_user=leader)  # the stale object still says pending
    with pytest.raises(Conflict):
        actions.do_reject_dwelling_link(world.link_a1, reason="Wrong", acting_user=leader)
    world.link_a1.refresh_from_db()
    assert world.link_a1.decided_by_id == officer.pk
    assert AuditEvent.objects.filter(event_type="resident.link_verified").count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_verify_out_of_scope_is_refused_by_the_action_too(world: World) -> None:
    with pytest.raises(PermissionRefused):
        actions.do_verify_dwelling_link(world.link_b1, acting_user=_verified(world.staff["community_worker_a"]))
    world.link_b1.refresh_from_db()
    assert world.link_b1.status == "pending"


@pytest.mark.django_db
def test_reject_and_revoke_need_a_reason(world: World) -> None:
    officer = _verified(world.staff["street_officer"])
    with pytest.raises(ValidationFailed):
        actions.do_reject_dwelling_link(world.link_a1, reason=" ", acting_user=officer)
    actions.do_verify_dwelling_link(world.link_a1, acting_user=officer)
    with pytest.raises(ValidationFailed):
        actions.do_revoke_dwelling_link(world.link_a1, reason="", acting_user=officer)
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "verified"


@pytest.mark.django_db
def test_withdraw_only_pending_and_only_own(world: World) -> None:
    with pytest.raises(PermissionRefused):
        actions.do_withdraw_dwelling_link(world.link_a1, acting_user=world.resident_b)
    actions.do_verify_dwelling_link(world.link_b1, acting_user=_verified(world.staff["street_officer"]))
    with pytest.raises(Conflict):
        actions.do_withdraw_dwelling_link(world.link_b1, acting_user=world.resident_b)
    link = actions.do_withdraw_dwelling_link(world.link_a1, acting_user=world.resident_a)
    assert link.status == "revoked"
    world.link_b1.refresh_from_db()
    assert world.link_b1.status == "verified"


def test_relation_labels() -> None:
    with translation.override("en"):
        assert actions.relation_label("owner") == "owner"
        assert actions.relation_label("family") == "family member"
    assert actions.relation_label("resident") == "resident"  # an older free-text value is shown as is
    assert set(actions.DwellingRelation.values) == {"owner", "tenant", "family"}


def test_id_b_is_valid() -> None:
    from linli.privacy.validators import validate_id_number

    assert validate_id_number(ID_B) == ID_B


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks across connections: PostgreSQL only")
def test_truly_concurrent_decisions_on_postgresql(tree: testing.Tree, fast_passwords: None) -> None:
    """Verify and reject at the same moment from two connections: exactly one decision stands."""
    resident = testing.make_resident()
    link = request_link(resident, tree.dwelling_a1, ID_C)
    deciders = [
        (_verified(testing.make_staff("grid_worker", tree.grid_a1)), "verify"),
        (_verified(testing.make_staff("community_worker", tree.community_a)), "reject"),
    ]
    barrier = threading.Barrier(len(deciders))
    outcomes: list[str] = []

    def decide(actor: object, decision: str) -> None:
        try:
            barrier.wait(timeout=10)
            if decision == "verify":
                outcomes.append(actions.do_verify_dwelling_link(link, acting_user=actor).status)
            else:
                outcomes.append(actions.do_reject_dwelling_link(link, reason="Wrong flat", acting_user=actor).status)
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=decider) for decider in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    assert "link_not_pending" in outcomes
    link.refresh_from_db()
    assert link.status in {"verified", "rejected"}
    assert AuditEvent.objects.filter(event_type__in=["resident.link_verified", "resident.link_rejected"]).count() == 1
    assert Notification.objects.filter(recipient=resident).count() == 1
