"""Loading the demo street (演示街道) into the database: one transaction, bulk inserts with explicit
ids, one audit event.

After the foundation rows are in, every module manifest with a ``demo_loader`` is called in
``demo_order``, inside the same transaction, as
``loader(street=<Area>, scale=<"small"|"street">, seed=<int>, accounts=<{username: User}>)`` so feature
modules add their own demo data (requests, forum threads, …) to the same street.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from linli.accounts.actions.login import phone_index
from linli.accounts.models import (
    AccountKind,
    DwellingLink,
    DwellingLinkMethod,
    DwellingLinkStatus,
    DwellingRelation,
    RoleAssignment,
    StaffTOTPDevice,
    User,
)
from linli.areas.models import Area, Department
from linli.audit.actions import record_event
from linli.core import registry
from linli.core.bulk import bulk_insert
from linli.core.errors import LinliError
from linli.demo.generator import DEMO_PASSWORD, DemoPlan, IdStart, build_plan
from linli.demo.models import DemoAccount, DemoDataset
from linli.notify.models import Notification
from linli.privacy.crypto import blind_index

DEMO_DATASET_ID = 1


class DemoRefused(LinliError):
    """The demo cannot be loaded here (demo mode off, or the database holds other data)."""

    code = "demo_refused"
    status = 409


@dataclass(frozen=True)
class LoadResult:
    dataset: DemoDataset
    created: bool
    seconds: float = 0.0


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(highest=Max("id"))["highest"] or 0) + 1


def _check_loadable() -> DemoDataset | None:
    """The existing demo data set, None when the database is empty enough to load one."""
    if not settings.DEMO_MODE:
        raise DemoRefused("Demo mode is off (LINLI_DEMO_MODE): the demo street is never loaded here.", code="demo_off")
    existing = DemoDataset.objects.first()
    if existing is None and Area.objects.exists():
        raise DemoRefused(
            "This database already holds areas that are not demo data; the demo loads only into an empty database.",
            code="demo_not_empty",
        )
    return existing


def do_load_demo(*, scale: str, seed: int, acting_user: Any = None) -> LoadResult:
    """Load the demo street, or return the one already loaded (whatever its scale and seed)."""
    existing = _check_loadable()
    if existing is not None:
        return LoadResult(existing, created=False)
    started = time.monotonic()
    try:
        with transaction.atomic():
            existing = _check_loadable()
            if existing is not None:
                return LoadResult(existing, created=False)
            now = timezone.now()
            plan = build_plan(
                scale, seed, IdStart(area=_next_id(Area), department=_next_id(Department), user=_next_id(User))
            )
            counts = plan.counts()
            # Claim the single data-set row first: a concurrent load blocks here, then fails.
            dataset = DemoDataset.objects.create(
                id=DEMO_DATASET_ID, scale=scale, seed=seed, fingerprint=plan.fingerprint(), counts=counts,
                started_at=now, finished_at=now,
            )  # fmt: skip
            accounts = _write_plan(plan, now)
            _reset_sequences([Area, Department, User])
            street = Area.objects.get(id=plan.street.id)
            for manifest in sorted(registry.modules(), key=lambda item: item.demo_order):
                if manifest.demo_loader is not None:
                    manifest.demo_loader(street=street, scale=scale, seed=seed, accounts=accounts)
            DemoDataset.objects.filter(id=dataset.id).update(finished_at=timezone.now())
            dataset.refresh_from_db()
            record_event(
                "demo.loaded",
                actor=acting_user,
                target=dataset,
                area_id=plan.street.id,
                detail={"scale": scale, "seed": seed, "counts": counts},
            )
    except IntegrityError:
        existing = DemoDataset.objects.filter(id=DEMO_DATASET_ID).first()
        if existing is None:
            raise
        return LoadResult(existing, created=False)
    return LoadResult(dataset, created=True, seconds=time.monotonic() - started)


def _write_plan(plan: DemoPlan, now: datetime.datetime) -> dict[str, User]:
    bulk_insert(
        Area,
        [
            Area(
                id=row.id,
                parent_id=row.parent_id,
                kind=row.kind,
                code=row.code,
                name=row.name,
                path=row.path,
                depth=row.depth,
                geometry=plan.geometry.get(row.id),
            )
            for row in plan.areas
        ],
    )
    bulk_insert(
        Department,
        [Department(id=row.id, code=row.code, name=row.name, street_id=row.street_id) for row in plan.departments],
    )
    staff_users = [
        User(
            id=row.id, username=row.username, kind=AccountKind.STAFF, display_name=row.display_name,
            password_changed_at=now, date_joined=now,
        )
        for row in plan.staff
    ]  # fmt: skip
    # One Argon2 hash shared by the demo staff accounts (one published password), checked against
    # the staff password policy for each of them.
    for user in staff_users:
        validate_password(DEMO_PASSWORD, user)
    shared_hash = make_password(DEMO_PASSWORD)
    for user in staff_users:
        user.password = shared_hash
    resident_users = []
    for row in plan.residents:
        user = User(
            id=row.id,
            username=row.username,
            kind=AccountKind.RESIDENT,
            display_name=row.display_name,
            phone=row.phone,
            phone_index=phone_index(row.phone),
            id_number=row.id_number,
            id_number_index=blind_index(row.id_number, purpose="id_number"),
            date_joined=now,
        )
        user.set_unusable_password()
        resident_users.append(user)
    bulk_insert(User, staff_users + resident_users)
    bulk_insert(
        RoleAssignment,
        [
            RoleAssignment(
                user_id=row.id, role=row.label, area_id=row.area_id, department_id=row.department_id, granted_at=now
            )
            for row in plan.staff
        ],
    )
    bulk_insert(
        StaffTOTPDevice,
        [
            StaffTOTPDevice(
                user_id=row.id,
                name="Demo authenticator",
                confirmed=True,
                encrypted_key=row.totp_key_hex,
                confirmed_at=now,
            )
            for row in plan.staff
        ],
    )
    verifier_id = plan.staff[0].id  # the street officer
    links = []
    for row in plan.residents:
        if row.dwelling_id is None or row.link_status is None:
            continue
        verified = row.link_status == "verified"
        links.append(
            DwellingLink(
                user_id=row.id,
                dwelling_id=row.dwelling_id,
                area_path=plan.area(row.dwelling_id).path,
                relation=row.relation or DwellingRelation.OWNER,
                status=DwellingLinkStatus.VERIFIED if verified else DwellingLinkStatus.PENDING,
                method=DwellingLinkMethod.STAFF if verified else "",
                created_at=now - datetime.timedelta(days=7) if verified else now - datetime.timedelta(hours=20),
                decided_at=now - datetime.timedelta(days=6) if verified else None,
                decided_by_id=verifier_id if verified else None,
            )
        )
    bulk_insert(DwellingLink, links)
    bulk_insert(Notification,
        [
            Notification(
                recipient_id=row.recipient_id, kind=row.kind, title=row.title, body=row.body, url=row.url,
                created_at=now - datetime.timedelta(minutes=row.age_minutes),
                read_at=now - datetime.timedelta(minutes=row.age_minutes - 5) if row.read else None,
            )
            for row in plan.notifications
        ]
    )  # fmt: skip
    demo_accounts = [DemoAccount(user_id=row.id, label=row.label, area_id=row.area_id) for row in plan.staff]
    demo_accounts += [
        DemoAccount(user_id=row.id, label=row.label, area_id=row.dwelling_id) for row in plan.residents if row.label
    ]
    for position, account in enumerate(demo_accounts, start=1):
        account.position = position
    bulk_insert(DemoAccount, demo_accounts)
    by_id = {user.id: user for user in staff_users + resident_users}
    return {by_id[account.user_id].username: by_id[account.user_id] for account in demo_accounts}


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    """After inserts with explicit ids, move PostgreSQL's sequences past them (SQLite's
    AUTOINCREMENT follows by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
