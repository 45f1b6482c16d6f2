"""The demo street (演示街道) as plain data: a pure function of (scale, seed, first ids).

Nothing here touches the database, so the same seed always yields the same plan (names, phone
numbers, ID numbers, tree shape) and tests can compare plans without loading them. The shape of the
tree comes from ``random.Random(seed)`` alone; Faker ``zh_CN`` (seeded with the same seed) only
supplies personal names and phone numbers, so the counts stay the same if Faker's word lists
change.

Everything is fictional: the district is 朝阳区 (GB/T 2260 code 110105) so that ID numbers carry a
real region code, but streets, communities, estates and people are made up.

Boundaries (边界) are made up too: the street is a rectangle placed near 116.40–116.50 E,
39.90–39.99 N; each level splits its parent's rectangle into a grid of cells (cut lines jittered,
each cell inset so siblings leave a road between them), estates get one corner cut off, and each
building is a point inside its estate. The layout draws from its own ``random.Random`` so the
tree, names and people are exactly what they were without it. Units and dwellings get none.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from linli.areas.models import AreaKind
from linli.privacy.validators import id_number_check_character, validate_phone

DEFAULT_SEED = 20261129
DEMO_PASSWORD = "Linli-Demo-2026!"  # noqa: S105 - the published password of fictional demo accounts
DISTRICT_CODE = "110105"
DISTRICT_NAME = "朝阳区"
PENDING_LINKS = 20
# Relations of demo residents to their homes (DwellingRelation values), picked by user id so the
# random stream (and every other generated value) stays as it was: 6 owners, 3 tenants, 1 family
# member in 10.
RELATION_CYCLE = ("owner", "tenant", "owner", "family", "owner", "tenant", "owner", "owner", "tenant", "owner")
WELL_KNOWN_RESIDENT_PHONE = "13800000001"
WELL_KNOWN_NEWCOMER_PHONE = "13800000002"

# Street names (街道) to pick from; codes are positions in this list, not official codes.
STREET_NAMES = ["望京", "酒仙桥", "将台", "东湖", "奥运村", "亚运村", "大屯", "安贞", "和平街", "小关"]
# Community names (社区): fictional, in the style of Beijing residential communities.
COMMUNITY_NAMES = [
    "春晖", "和平里", "安苑", "欣苑", "翠微", "馨园", "锦绣", "嘉园", "望湖", "丽泽",
    "康居", "福源", "兴隆", "晨光", "朝阳里", "东风", "紫薇", "怡和", "泰和", "明德",
    "景园", "枫林", "青年路", "光华里", "金台", "华严", "长青", "南苑", "北苑", "西坝河",
]  # fmt: skip
ESTATE_PREFIXES = [
    "阳光", "金色", "华彩", "望湖", "嘉润", "东方", "丽都", "和平", "安康", "明珠",
    "绿洲", "碧水", "青年", "世纪", "星河", "锦绣", "翠湖", "松林", "枫丹", "书香",
    "海棠", "玉兰", "紫荆", "银杏", "泰和", "宏福", "瑞景", "御景", "晨曦", "朗润",
    "怡景", "康桥", "畅春", "金泉", "华府", "望春", "青塔", "广安", "清河", "秀水",
]  # fmt: skip
ESTATE_SUFFIXES = ["家园", "花园", "小区", "苑", "公寓", "嘉园", "新城", "雅居", "北里", "南里", "东里", "西里"]
ESTATE_PHASES = ["", "二期", "三期", "四期"]
CHINESE_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
# Departments (部门) of the street: (code suffix, name pattern).
DEPARTMENTS = [
    ("police", "{street}派出所"),
    ("urban", "{street}城管执法队"),
    ("housing", "{street}街道住建办"),
    ("civil", "{street}街道民政科"),
    ("market", "{street}市场监管所"),
]
# Geography of the fictional street (degrees, WGS 84): the street's rectangle lies inside these
# ranges; a community cell is about 680 m × 670 m at this latitude, the street as many cells as
# its communities need (5 × 5 at the "street" scale, about 3.4 km × 3.3 km).
LONGITUDE_RANGE = (116.40, 116.50)
LATITUDE_RANGE = (39.90, 39.99)
COMMUNITY_CELL = (0.008, 0.006)  # (longitude, latitude) degrees
CELL_INSET = 0.06  # fraction of a cell's width and height left free on each side
CUT_JITTER = 0.2  # how far (in cells) an inner cut line may move from its even position
COORDINATE_DIGITS = 6  # about 0.1 m

Box = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class ScaleSpec:
    communities: int
    grids_per_community: int
    residents: int  # generic residents, PENDING_LINKS of them awaiting verification
    floors: tuple[int, int]
    doors_per_floor: tuple[int, int]


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(communities=5, grids_per_community=2, residents=200, floors=(4, 18), doors_per_floor=(1, 2)),
    "street": ScaleSpec(communities=25, grids_per_community=8, residents=2000, floors=(3, 11), doors_per_floor=(1, 2)),
}


@dataclass(frozen=True)
class IdStart:
    """The first free id of each table the plan writes with explicit ids."""

    area: int = 1
    department: int = 1
    user: int = 1


@dataclass(frozen=True)
class AreaRow:
    id: int
    parent_id: int | None
    kind: int
    code: str
    name: str
    path: str
    depth: int


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    code: str
    name: str
    street_id: int


@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    display_name: str
    label: str  # a DemoAccountLabel, equal to the role name
    area_id: int
    department_id: int | None
    totp_key_hex: str


@dataclass(frozen=True)
class ResidentRow:
    id: int
    username: str
    display_name: str
    phone: str
    id_number: str
    dwelling_id: int | None
    link_status: str | None  # "verified", "pending" or None
    label: str | None = None  # a DemoAccountLabel for the two well-known residents
    relation: str | None = None  # a DwellingRelation value when the resident has a home link


@dataclass(frozen=True)
class NotificationRow:
    recipient_id: int
    kind: str
    title: str
    body: str
    url: str
    read: bool
    age_minutes: int


@dataclass
class DemoPlan:
    scale: str
    seed: int
    areas: list[AreaRow] = field(default_factory=list)
    # Area id → its GeoJSON geometry, as Area.geometry stores it (a Polygon for the street, its
    # communities, grids and estates; a Point for each building). Kept beside the rows, not in
    # them: one more field on 46k frozen rows costs more than all the boundaries together.
    geometry: dict[int, dict[str, Any]] = field(default_factory=dict)
    departments: list[DepartmentRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    residents: list[ResidentRow] = field(default_factory=list)
    notifications: list[NotificationRow] = field(default_factory=list)

    @property
    def district(self) -> AreaRow:
        return self.areas[0]

    @property
    def street(self) -> AreaRow:
        return self.areas[1]

    def area(self, area_id: int) -> AreaRow:
        return self.areas[area_id - self.areas[0].id]

    def counts(self) -> dict[str, int]:
        """Numbers of generated rows, by kind (keys never name personal-data fields)."""
        counts = {AreaKind(kind).name.lower(): 0 for kind in AreaKind.values}
        for row in self.areas:
            counts[AreaKind(row.kind).name.lower()] += 1
        counts["departments"] = len(self.departments)
        counts["staff_accounts"] = len(self.staff)
        counts["resident_accounts"] = len(self.residents)
        counts["verified_links"] = sum(1 for row in self.residents if row.link_status == "verified")
        counts["pending_links"] = sum(1 for row in self.residents if row.link_status == "pending")
        counts["notifications"] = len(self.notifications)
        return counts

    def fingerprint(self) -> str:
        """SHA-256 over every generated value: equal plans, equal fingerprints."""
        digest = hashlib.sha256(f"{self.scale}:{self.seed}".encode())
        for rows in (self.areas, self.departments, self.staff, self.residents, self.notifications):
            for row in rows:
                digest.update(json.dumps(vars(row), ensure_ascii=False, sort_keys=True).encode())
        digest.update(json.dumps(list(self.geometry.items())).encode())
        return digest.hexdigest()


def totp_key_for(seed: int, username: str) -> str:
    """A 160-bit TOTP seed (hex) derived from the demo seed and the username: stable across runs."""
    return hmac.new(f"linli-demo-totp:{seed}".encode(), username.encode(), hashlib.sha1).hexdigest()


def make_id_number(rng: random.Random, *, male: bool, region: str = DISTRICT_CODE) -> str:
    """A GB 11643 resident ID number: region, birth date (1938–2006), sequence whose last digit is
    odd for men and even for women, and the MOD 11-2 check character."""
    first = datetime.date(1938, 1, 1).toordinal()
    last = datetime.date(2006, 12, 31).toordinal()
    birth = datetime.date.fromordinal(rng.randint(first, last))
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)


# --- boundaries ---------------------------------------------------------------------------------
def _grid_shape(box: Box, count: int) -> tuple[int, int]:
    """(columns, rows) for ``count`` cells in ``box``: cells as square as possible on the ground,
    no row or column left empty."""
    west, south, east, north = box
    width = (east - west) * math.cos(math.radians((south + north) / 2))
    height = north - south
    best: tuple[float, int, int] | None = None
    for columns in range(1, count + 1):
        rows = math.ceil(count / columns)
        if columns * rows - count >= min(columns, rows):
            continue
        score = abs(math.log((width / columns) / (height / rows))) + 0.25 * (columns * rows - count)
        if best is None or score < best[0]:
            best = (score, columns, rows)
    assert best is not None
    return best[1], best[2]


def _cuts(parts: int, rng: random.Random) -> list[float]:
    """Cut positions 0 … 1 splitting a side into ``parts``, the inner ones moved a little."""
    inner = [(index + rng.uniform(-CUT_JITTER, CUT_JITTER)) / parts for index in range(1, parts)]
    return [0.0, *inner, 1.0]


def split_box(box: Box, count: int, rng: random.Random) -> list[Box]:
    """``count`` disjoint boxes inside ``box``, row by row from the north-west corner: a grid of
    cells with jittered cut lines, each cell inset by ``CELL_INSET`` of its size."""
    columns, rows = _grid_shape(box, count)
    west, south, east, north = box
    xs, ys = _cuts(columns, rng), _cuts(rows, rng)
    cells: list[Box] = []
    for row in range(rows):
        cell_north = north - ys[row] * (north - south)
        cell_south = north - ys[row + 1] * (north - south)
        for column in range(columns):
            cell_west = west + xs[column] * (east - west)
            cell_east = west + xs[column + 1] * (east - west)
            inset_x = (cell_east - cell_west) * CELL_INSET
            inset_y = (cell_north - cell_south) * CELL_INSET
            cells.append((cell_west + inset_x, cell_south + inset_y, cell_east - inset_x, cell_north - inset_y))
    return cells[:count]


def _position(longitude: float, latitude: float) -> list[float]:
    return [round(longitude, COORDINATE_DIGITS), round(latitude, COORDINATE_DIGITS)]


def box_polygon(box: Box, *, cut_corner: int | None = None, cut: float = 0.0) -> dict[str, Any]:
    """A GeoJSON Polygon (one counter-clockwise ring, closed) of ``box``; with ``cut_corner``
    (0 south-west, 1 south-east, 2 north-east, 3 north-west) that corner is cut off diagonally,
    ``cut`` of each side it touches."""
    west, south, east, north = box
    corners = [(west, south), (east, south), (east, north), (west, north)]
    ring: list[list[float]] = []
    for index, (x, y) in enumerate(corners):
        if index != cut_corner:
            ring.append(_position(x, y))
            continue
        (px, py), (nx, ny) = corners[index - 1], corners[(index + 1) % 4]
        ring.append(_position(x + (px - x) * cut, y + (py - y) * cut))
        ring.append(_position(x + (nx - x) * cut, y + (ny - y) * cut))
    ring.append(list(ring[0]))
    return {"type": "Polygon", "coordinates": [ring]}


def building_points(box: Box, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` GeoJSON Points in rows across the middle of ``box`` (its central 56 %, clear of
    a corner cut of up to 30 %)."""
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    west, south, east, north = box
    points = []
    for index in range(count):
        row, column = divmod(index, columns)
        x = 0.22 + 0.56 * (column + 0.5 + rng.uniform(-0.2, 0.2)) / columns
        y = 0.78 - 0.56 * (row + 0.5 + rng.uniform(-0.2, 0.2)) / rows
        points.append(
            {"type": "Point", "coordinates": _position(west + x * (east - west), south + y * (north - south))}
        )
    return points


class _Builder:
    def __init__(self, scale: str, seed: int, ids: IdStart) -> None:
        if scale not in SCALES:
            raise ValueError(f"unknown demo scale {scale!r}; choose one of {sorted(SCALES)}")
        self.spec = SCALES[scale]
        self.plan = DemoPlan(scale=scale, seed=seed)
        self.rng = random.Random(seed)
        # The boundaries' own stream: drawing from it leaves every other generated value unchanged.
        self.geo_rng = random.Random(f"linli-demo-geometry:{seed}")
        from faker import Faker  # imported here: 0.2 s that the fast path of `linli demo` skips

        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.ids = ids
        self.next_user_id = ids.user
        self.estate_names = self._estate_names()
        self.communities: list[AreaRow] = []
        self.grids: list[list[AreaRow]] = []  # per community
        self.dwellings_by_grid: dict[int, list[int]] = {}
        self.used_phones = {WELL_KNOWN_RESIDENT_PHONE, WELL_KNOWN_NEWCOMER_PHONE}
        self.used_id_numbers: set[str] = set()

    # --- areas ------------------------------------------------------------------------------
    def _estate_names(self) -> list[str]:
        combinations = [prefix + suffix for prefix in ESTATE_PREFIXES for suffix in ESTATE_SUFFIXES]
        self.rng.shuffle(combinations)
        names = [name + phase for phase in ESTATE_PHASES for name in combinations]
        names.reverse()  # taken with pop(): first names first
        return names

    def add_area(
        self, kind: AreaKind, code: str, name: str, parent: AreaRow | None, geometry: dict[str, Any] | None = None
    ) -> AreaRow:
        area_id = self.ids.area + len(self.plan.areas)
        row = AreaRow(
            id=area_id,
            parent_id=parent.id if parent else None,
            kind=int(kind),
            code=code,
            name=name,
            path=f"{parent.path if parent else '/'}{area_id}/",
            depth=parent.depth + 1 if parent else 0,
        )
        self.plan.areas.append(row)
        if geometry is not None:
            self.plan.geometry[area_id] = geometry
        return row

    def street_box(self) -> Box:
        """The street's rectangle: room for its communities, placed inside the demo's ranges."""
        columns = math.ceil(math.sqrt(self.spec.communities))
        rows = math.ceil(self.spec.communities / columns)
        width, height = columns * COMMUNITY_CELL[0], rows * COMMUNITY_CELL[1]
        west = LONGITUDE_RANGE[0] + self.geo_rng.uniform(0, LONGITUDE_RANGE[1] - LONGITUDE_RANGE[0] - width)
        south = LATITUDE_RANGE[0] + self.geo_rng.uniform(0, LATITUDE_RANGE[1] - LATITUDE_RANGE[0] - height)
        return (west, south, west + width, south + height)

    def build_tree(self) -> None:
        district = self.add_area(AreaKind.DISTRICT, DISTRICT_CODE, DISTRICT_NAME, None)
        street_index = self.rng.randrange(len(STREET_NAMES))
        self.street_short = STREET_NAMES[street_index]
        street_box = self.street_box()
        street = self.add_area(
            AreaKind.STREET, f"{street_index + 1:03d}", f"{self.street_short}街道", district, box_polygon(street_box)
        )
        community_names = self.rng.sample(COMMUNITY_NAMES, self.spec.communities)
        community_boxes = split_box(street_box, len(community_names), self.geo_rng)
        for position, (name, community_box) in enumerate(zip(community_names, community_boxes, strict=True), start=1):
            community = self.add_area(
                AreaKind.COMMUNITY, f"{position:03d}", f"{name}社区", street, box_polygon(community_box)
            )
            self.communities.append(community)
            grids = []
            grid_boxes = split_box(community_box, self.spec.grids_per_community, self.geo_rng)
            for grid_number, grid_box in enumerate(grid_boxes, start=1):
                grid = self.add_area(
                    AreaKind.GRID,
                    f"{grid_number:02d}",
                    f"{name}第{CHINESE_NUMERALS[grid_number - 1]}网格",
                    community,
                    box_polygon(grid_box),
                )
                grids.append(grid)
                self.dwellings_by_grid[grid.id] = self.build_estates(grid, grid_box)
            self.grids.append(grids)
        for code_suffix, pattern in DEPARTMENTS:
            self.plan.departments.append(
                DepartmentRow(
                    id=self.ids.department + len(self.plan.departments),
                    code=f"{DISTRICT_CODE}{street.code}-{code_suffix}",
                    name=pattern.format(street=self.street_short),
                    street_id=street.id,
                )
            )

    def build_estates(self, grid: AreaRow, grid_box: Box) -> list[int]:
        dwellings: list[int] = []
        estate_boxes = split_box(grid_box, self.rng.randint(1, 3), self.geo_rng)
        for estate_number, estate_box in enumerate(estate_boxes, start=1):
            cut_corner = self.geo_rng.randrange(5)  # 4: a plain rectangle
            outline = box_polygon(
                estate_box, cut_corner=cut_corner if cut_corner < 4 else None, cut=self.geo_rng.uniform(0.15, 0.3)
            )
            estate = self.add_area(AreaKind.ESTATE, f"{estate_number:02d}", self.estate_names.pop(), grid, outline)
            points = building_points(estate_box, self.rng.randint(2, 6), self.geo_rng)
            for building_number, point in enumerate(points, start=1):
                building = self.add_area(
                    AreaKind.BUILDING, str(building_number), f"{building_number}号楼", estate, point
                )
                floors = self.rng.randint(*self.spec.floors)
                doors = self.rng.randint(*self.spec.doors_per_floor)
                for unit_number in range(1, self.rng.randint(1, 4) + 1):
                    unit = self.add_area(AreaKind.UNIT, str(unit_number), f"{unit_number}单元", building)
                    for floor in range(1, floors + 1):
                        for door in range(1, doors + 1):
                            room = f"{floor}{door:02d}"
                            dwellings.append(self.add_area(AreaKind.DWELLING, room, f"{room}室", unit).id)
        return dwellings

    # --- people -----------------------------------------------------------------------------
    def take_user_id(self) -> int:
        user_id = self.next_user_id
        self.next_user_id += 1
        return user_id

    def person(self) -> tuple[str, str]:
        """A name and an ID number of the same sex."""
        male = self.rng.random() < 0.5
        name = self.faker.name_male() if male else self.faker.name_female()
        while True:
            number = make_id_number(self.rng, male=male)
            if number not in self.used_id_numbers:
                self.used_id_numbers.add(number)
                return name, number

    def phone(self) -> str:
        """A unique mainland mobile number (Faker's zh_CN formats are all mobile; checked anyway)."""
        while True:
            try:
                phone = validate_phone(self.faker.phone_number())
            except ValidationError:
                continue
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def build_staff(self) -> None:
        street = self.plan.street
        first_community = self.communities[0]
        police = self.plan.departments[0]
        accounts: list[tuple[str, str, AreaRow, int | None]] = [
            ("demo-street", "street_officer", street, None),
            ("demo-leader", "community_leader", first_community, None),
            ("demo-worker", "community_worker", first_community, None),
            ("demo-grid1", "grid_worker", self.grids[0][0], None),
            ("demo-grid2", "grid_worker", self.grids[1][0], None),
            ("demo-police", "department_officer", street, police.id),
            ("demo-sysadmin", "system_admin", self.plan.district, None),
            ("demo-secadmin", "security_admin", self.plan.district, None),
            ("demo-auditor", "audit_admin", self.plan.district, None),
        ]
        for username, label, area, department_id in accounts:
            self.plan.staff.append(
                StaffRow(
                    id=self.take_user_id(),
                    username=username,
                    display_name=self.faker.name(),
                    label=label,
                    area_id=area.id,
                    department_id=department_id,
                    totp_key_hex=totp_key_for(self.plan.seed, username),
                )
            )

    def build_residents(self) -> None:
        first_grid = self.grids[0][0]
        home = self.rng.choice(self.dwellings_by_grid[first_grid.id])
        taken = {home}
        name, number = self.person()
        residents = self.plan.residents
        residents.append(
            ResidentRow(
                self.take_user_id(), "demo-resident", name, WELL_KNOWN_RESIDENT_PHONE, number, home, "verified",
                "resident_verified", "owner",
            )
        )  # fmt: skip
        name, number = self.person()
        residents.append(
            ResidentRow(
                self.take_user_id(), "demo-newcomer", name, WELL_KNOWN_NEWCOMER_PHONE, number, None, None,
                "resident_new",
            )
        )  # fmt: skip
        all_dwellings = [dwelling for grid in self.dwellings_by_grid.values() for dwelling in grid]
        first_community = [dwelling for grid in self.grids[0] for dwelling in self.dwellings_by_grid[grid.id]]
        pending_homes = self.rng.sample([d for d in first_community if d not in taken], PENDING_LINKS)
        taken.update(pending_homes)
        verified_count = self.spec.residents - PENDING_LINKS
        verified_homes = self.rng.sample([d for d in all_dwellings if d not in taken], verified_count)
        for dwelling_id, status in [(d, "verified") for d in verified_homes] + [(d, "pending") for d in pending_homes]:
            name, number = self.person()
            user_id = self.take_user_id()
            residents.append(
                ResidentRow(
                    id=user_id,
                    username=f"r{self.rng.getrandbits(48):012x}",
                    display_name=name,
                    phone=self.phone(),
                    id_number=number,
                    dwelling_id=dwelling_id,
                    link_status=status,
                    relation=RELATION_CYCLE[user_id % len(RELATION_CYCLE)],
                )
            )

    def build_notifications(self) -> None:
        resident, newcomer = self.plan.residents[0], self.plan.residents[1]
        assert resident.dwelling_id is not None
        home = self.plan.area(resident.dwelling_id)
        unit = self.plan.area(home.parent_id or 0)
        building = self.plan.area(unit.parent_id or 0)
        estate = self.plan.area(building.parent_id or 0)
        address = f"{estate.name}{building.name}{unit.name}{home.name}"
        welcome = ("welcome", "欢迎使用邻里", "这是演示账号，所有数据均为虚构。", "/home/")
        self.plan.notifications.extend(
            [
                NotificationRow(resident.id, *welcome, read=True, age_minutes=3 * 24 * 60),
                NotificationRow(
                    resident.id, "dwelling_verified", "房屋认证已通过", f"{address}已由社区确认。", "/home/",
                    read=False, age_minutes=2 * 24 * 60,
                ),
                NotificationRow(newcomer.id, *welcome, read=False, age_minutes=60),
            ]
        )  # fmt: skip


def build_plan(scale: str, seed: int = DEFAULT_SEED, ids: IdStart | None = None) -> DemoPlan:
    """Generate the whole demo street for ``scale`` ("small" or "street") and ``seed``."""
    builder = _Builder(scale, seed, ids or IdStart())
    builder.build_tree()
    builder.build_staff()
    builder.build_residents()
    builder.build_notifications()
    return builder.plan
