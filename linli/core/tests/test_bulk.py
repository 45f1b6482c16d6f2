"""``bulk_insert`` writes the same rows ``bulk_create`` would, in one transaction."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from linli.accounts.actions.login import phone_index
from linli.accounts.models import AccountKind, DwellingLink, DwellingLinkStatus, User
from linli.areas.models import Area, AreaKind
from linli.core.bulk import bulk_insert
from linli.privacy.crypto import blind_index

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


def raw_rows(model: type, ids: list[int]) -> list[tuple[object, ...]]:
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id IN ({marks}) ORDER BY id", ids)  # noqa: S608
        return cursor.fetchall()


def residents(first_id: int, count: int) -> list[User]:
    joined = datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.UTC)
    users = []
    for offset in range(count):
        phone = f"1390000{first_id + offset:04d}"
        users.append(
            User(
                id=first_id + offset,
                username=f"bulk{first_id + offset}",
                kind=AccountKind.RESIDENT,
                display_name="王小明",
                phone=phone,
                phone_index=phone_index(phone),
                id_number=ID_NUMBER,
                id_number_index=blind_index(ID_NUMBER, purpose="id_number"),
                elderly_mode=offset % 2 == 0,
                password="!",
                date_joined=joined,
            )
        )
    return users


def test_rows_match_bulk_create_column_for_column() -> None:
    bulk_insert(User, residents(1000, 3))
    User.objects.bulk_create(residents(2000, 3))

    ours, django = raw_rows(User, [1000, 1001, 1002]), raw_rows(User, [2000, 2001, 2002])
    columns = [field.column for field in User._meta.concrete_fields]
    encrypted = {columns.index("phone"), columns.index("id_number")}
    differing = {"id", "username", "phone", "phone_index"}
    for mine, theirs in zip(ours, django, strict=True):
        for index, column in enumerate(columns):
            if index in encrypted:
                assert mine[index] != ID_NUMBER and str(mine[index]).count("$") == 1  # ciphertext, not plaintext
            elif column not in differing:
                assert mine[index] == theirs[index], column
    loaded = User.objects.get(id=1001)
    assert (loaded.phone, loaded.id_number, loaded.elderly_mode) == ("13900001001", ID_NUMBER, False)
    assert loaded.date_joined == datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.UTC)
    assert User.objects.get(phone_index=phone_index("13900001002")).id == 1002


def test_auto_timestamps_json_and_foreign_keys(tree) -> None:  # type: ignore[no-untyped-def]
    before = timezone.now()
    unit = tree.dwelling_a1.parent
    area = Area(
        id=9001,
        kind=AreaKind.DWELLING,
        code="909",
        name="909室",
        parent=unit,
        path=f"{unit.path}9001/",
        depth=unit.depth + 1,
        geometry={"type": "Point", "coordinates": [116.47, 39.99]},
    )

    assert bulk_insert(Area, [area]) == 1

    stored = Area.objects.get(id=9001)
    assert stored.parent_id == unit.id
    assert stored.geometry == {"type": "Point", "coordinates": [116.47, 39.99]}
    assert stored.created_at >= before and stored.updated_at >= before
    assert stored.kind == AreaKind.DWELLING and stored.is_active is True
    assert area._state.adding is False


def test_database_assigned_keys(tree) -> None:  # type: ignore[no-untyped-def]
    users = residents(3000, 2)
    bulk_insert(User, users)
    links = [
        DwellingLink(
            user_id=user.id,
            dwelling_id=tree.dwelling_a1.id,
            area_path=tree.dwelling_a1.path,
            status=DwellingLinkStatus.PENDING,
        )
        for user in users
    ]

    assert bulk_insert(DwellingLink, links) == 2

    stored = DwellingLink.objects.filter(user_id__in=[3000, 3001]).order_by("user_id")
    assert [(link.user_id, link.dwelling_id, link.status) for link in stored] == [
        (3000, tree.dwelling_a1.id, DwellingLinkStatus.PENDING),
        (3001, tree.dwelling_a1.id, DwellingLinkStatus.PENDING),
    ]
    assert all(link.pk is None for link in links)  # keys the database assigned are not read back


def test_mixed_primary_keys_are_refused() -> None:
    users = residents(4000, 2)
    users[1].id = None

    with pytest.raises(ValueError, match="every object a primary key, or none"):
        bulk_insert(User, users)
    assert not User.objects.filter(username__startswith="bulk400").exists()


def test_a_failing_row_rolls_back_the_whole_call() -> None:
    users = residents(5000, 3)
    users[2].username = users[0].username  # unique constraint

    with pytest.raises(IntegrityError), transaction.atomic():  # the caller's transaction (a request's, a command's)
        bulk_insert(User, users, batch_size=2)
    assert not User.objects.filter(id__in=[5000, 5001, 5002]).exists()


def test_batches_cover_every_row() -> None:
    assert bulk_insert(User, residents(6000, 7), batch_size=3) == 7
    assert sorted(User.objects.filter(id__gte=6000, id__lt=6100).values_list("id", flat=True)) == list(
        range(6000, 6007)
    )
