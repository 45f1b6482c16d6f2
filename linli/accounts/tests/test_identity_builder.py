"""The identity query builds user, device and session record without ``Model.from_db``'s per-call
work (decision 0011, third step); the instances must be exactly what ``from_db`` builds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import signals

from linli import testing
from linli.accounts.middleware import _identity_query
from linli.accounts.models import Role, User


@pytest.mark.django_db
def test_the_built_user_equals_from_db_and_leaves_the_encrypted_fields_deferred(tree) -> None:  # type: ignore[no-untyped-def]
    worker = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    query = _identity_query(connection)
    row = query.run(connection, worker.pk, None, None)
    assert row is not None
    values = row[: len(query.user_fields)]
    built = query.user_build(connection.alias, values)
    reference = User.from_db(connection.alias, [field.attname for field in query.user_fields], values)
    assert type(built) is User
    assert (built._state.adding, built._state.db) == (False, connection.alias)
    assert {k: v for k, v in built.__dict__.items() if k != "_state"} == {
        k: v for k, v in reference.__dict__.items() if k != "_state"
    }
    assert built.get_deferred_fields() == reference.get_deferred_fields() == {"phone", "id_number"}
    assert built.phone == User.objects.get(pk=worker.pk).phone  # a deferred field loads on access


@pytest.mark.django_db
def test_a_model_with_init_receivers_is_built_by_from_db(tree) -> None:  # type: ignore[no-untyped-def]
    worker = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    query = _identity_query(connection)
    row = query.run(connection, worker.pk, None, None)
    assert row is not None
    seen: list[User] = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(instance)

    signals.post_init.connect(receiver, sender=User)
    try:
        built = query.user_build(connection.alias, row[: len(query.user_fields)])
    finally:
        signals.post_init.disconnect(receiver, sender=User)
    assert seen == [built]
    assert built.pk == worker.pk
    assert built.get_deferred_fields() == {"phone", "id_number"}
