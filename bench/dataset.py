"""The benchmark data set and B0 (build it through the ORM vs raw ``sqlite3.executemany``).

Scale (BENCHMARKS.md): a street of 25 communities, 200 grids, ~40k dwellings and 100k residents
(full); a fifth of that for ``--quick``. Values are generated deterministically (fixed seed, Faker
zh_CN names, valid phone and ID numbers). Both sides insert the same rows into copies of the same
freshly migrated database with the same PRAGMAs (WAL, synchronous=FULL), each in one transaction.
Ours goes through ``linli.core.bulk.bulk_insert`` (the loader the demo street uses), which prepares
every value with its field, encrypting each phone and ID number with AES-GCM; the baseline receives
those rows already prepared (untimed). Blind indexes are computed while generating, on neither clock.
"""

from __future__ import annotations

import datetime
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import Result

SEED = 20261129
PENDING_IN_FIRST_GRID = 20
"""Home links waiting for verification in the first grid: the B1 grid worker's workbench tasks
(some overdue: requested 6 hours apart)."""
RELATIONS = ("owner", "family", "tenant", "family")


@dataclass(frozen=True)
class Scale:
    name: str
    communities: int
    grids_per_community: int = 8
    estates_per_grid: int = 2
    buildings_per_estate: int = 5
    units_per_building: int = 2
    dwellings_per_unit: int = 10
    residents_per_dwelling: float = 2.5


SCALES = {"full": Scale("full", communities=25), "quick": Scale("quick", communities=5)}


def generate(scale: Scale, seed: int = SEED) -> dict[str, list[Any]]:
    """Model instances (unsaved, explicit ids) for areas, residents and their dwelling links."""
    from faker import Faker

    from linli.accounts.actions.login import phone_index
    from linli.accounts.models import AccountKind, DwellingLink, DwellingLinkMethod, DwellingLinkStatus, User
    from linli.areas.models import Area, AreaKind
    from linli.privacy.crypto import blind_index
    from linli.privacy.validators import id_number_check_character

    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    areas: list[Area] = []
    next_id = [1]

    def add(kind: int, code: str, name: str, parent: Area | None) -> Area:
        area_id = next_id[0]
        next_id[0] += 1
        path = f"{parent.path if parent else '/'}{area_id}/"
        area = Area(
            id=area_id,
            kind=kind,
            code=code,
            name=name,
            parent=parent,
            path=path,
            depth=(parent.depth + 1) if parent else 0,
            created_at=now,
            updated_at=now,
        )
        areas.append(area)
        return area

    district = add(AreaKind.DISTRICT, "110105", "朝阳区", None)
    street = add(AreaKind.STREET, "001", "望京街道", district)
    dwellings: list[Area] = []
    for c in range(scale.communities):
        community = add(
            AreaKind.COMMUNITY, f"{c + 1:03d}", f"{fake.last_name()}家{['园', '里', '坊', '苑'][c % 4]}社区", street
        )
        for g in range(scale.grids_per_community):
            grid = add(AreaKind.GRID, f"{g + 1:02d}", f"{community.name}第{g + 1}网格", community)
            for e in range(scale.estates_per_grid):
                estate = add(
                    AreaKind.ESTATE, f"{e + 1:02d}", f"{fake.street_name()}{['小区', '花园', '家园'][e % 3]}", grid
                )
                for b in range(scale.buildings_per_estate):
                    building = add(AreaKind.BUILDING, f"{b + 1}", f"{b + 1}号楼", estate)
                    for u in range(scale.units_per_building):
                        unit = add(AreaKind.UNIT, f"{u + 1}", f"{u + 1}单元", building)
                        for d in range(scale.dwellings_per_unit):
                            floor, room = d // 2 + 1, d % 2 + 1
                            dwellings.append(add(AreaKind.DWELLING, f"{floor}0{room}", f"{floor}0{room}室", unit))
    residents: list[User] = []
    links: list[DwellingLink] = []
    total = int(len(dwellings) * scale.residents_per_dwelling)
    prefixes = ["138", "139", "137", "136", "135", "150", "151", "158", "186", "188", "189", "131", "132", "133"]
    for index in range(total):
        user_id = index + 1
        phone = f"{rng.choice(prefixes)}{user_id:08d}"
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 66))
        first17 = f"110105{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
        id_number = first17 + id_number_check_character(first17)
        user = User(
            id=user_id,
            username=f"r{user_id:07d}",
            kind=AccountKind.RESIDENT,
            display_name=fake.name(),
            phone=phone,
            phone_index=phone_index(phone),
            id_number=id_number,
            id_number_index=blind_index(id_number, purpose="id_number"),
            password="!",
            date_joined=now,
        )
        residents.append(user)
        dwelling = dwellings[index % len(dwellings)]
        pending = index < PENDING_IN_FIRST_GRID  # the first dwellings lie in the first grid
        links.append(
            DwellingLink(
                id=user_id,
                user_id=user_id,
                dwelling_id=dwelling.id,
                area_path=dwelling.path,
                relation=RELATIONS[index % len(RELATIONS)],
                status=DwellingLinkStatus.PENDING if pending else DwellingLinkStatus.VERIFIED,
                method="" if pending else DwellingLinkMethod.STAFF,
                created_at=now - datetime.timedelta(hours=6 * index) if pending else now,
                decided_at=None if pending else now,
            )
        )
    return {"areas": areas, "users": residents, "links": links}


def _prepared_rows(objects: list[Any], connection: Any) -> tuple[str, list[tuple[Any, ...]]]:
    model = type(objects[0])
    fields = [field for field in model._meta.concrete_fields]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    marks = ", ".join("?" for _ in fields)
    sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})'
    rows = [
        tuple(field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields) for obj in objects
    ]
    return sql, rows


def run_b0(scale: Scale, workspace: Path, template: Path, dataset: Path) -> list[Result]:
    """Time both builds. Django's default database must already point at ``dataset``."""
    from django.db import connection, transaction

    from linli.accounts.models import DwellingLink, User
    from linli.areas.models import Area
    from linli.core.bulk import bulk_insert

    data = generate(scale)
    counts = {name: len(rows) for name, rows in data.items()}
    # Baseline rows, prepared untimed (this also encrypts: the baseline gets finished ciphertexts).
    prepared = [_prepared_rows(data[name], connection) for name in ("areas", "users", "links")]
    raw_path = workspace / "raw.sqlite3"
    shutil.copyfile(template, raw_path)
    raw = sqlite3.connect(raw_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    started = time.perf_counter()
    raw.execute("BEGIN IMMEDIATE")
    for sql, rows in prepared:
        raw.executemany(sql, rows)
    raw.execute("COMMIT")
    baseline_seconds = time.perf_counter() - started
    raw.close()
    raw_path.unlink()

    fresh = generate(scale)  # new unsaved instances with plaintext values: ours encrypts them itself
    started = time.perf_counter()
    with transaction.atomic():
        bulk_insert(Area, fresh["areas"])
        bulk_insert(User, fresh["users"])
        bulk_insert(DwellingLink, fresh["links"])
    ours_seconds = time.perf_counter() - started
    rows_total = sum(counts.values())
    return [
        Result(
            benchmark="B0",
            name="build the data set",
            unit="s",
            ours=ours_seconds,
            baseline=baseline_seconds,
            target="≤ 2.0×",
            higher_is_better=False,
            limit=2.0,
            details={**counts, "rows_per_s_ours": round(rows_total / ours_seconds)},
        )
    ]
