"""Reads about residents and their homes (住户与房屋绑定), scoped to the actor (house rule 4).

* Residents browse the public tree of place names (community → estate → building → unit →
  dwelling) to find their home; names of places are not personal data.
* Staff read dwelling links only inside their remit (``RESIDENT_VERIFIERS`` at an area containing
  the link's dwelling); anything else answers 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from linli.accounts.models import DwellingEvidence, DwellingLink, DwellingLinkStatus, User
from linli.accounts.permissions import LETTER_ISSUERS, RESIDENT_VERIFIERS
from linli.accounts.scoping import scope_paths, scope_q
from linli.areas.models import Area, AreaKind, within_q

# Levels a resident picks in turn; grids (网格) are an administrative level residents do not know.
CHOOSER_KINDS = (AreaKind.ESTATE, AreaKind.BUILDING, AreaKind.UNIT, AreaKind.DWELLING)
# Levels shown in a dwelling's address label, from the community down.
LABEL_KINDS = frozenset({AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.ESTATE, AreaKind.BUILDING, AreaKind.UNIT})
# Areas a verification-letter batch may be issued for.
LETTER_TARGET_KINDS = frozenset({AreaKind.BUILDING, AreaKind.UNIT, AreaKind.DWELLING})


def _natural_key(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


# --- the public tree of place names -----------------------------------------------------------


def area_options(parent: Area | None, *, within: Sequence[str] | None = None) -> list[Area]:
    """The next choices under ``parent`` in the home chooser (one query).

    ``parent`` None lists communities. Under a community, grids are skipped: estates (or
    buildings where there is no named estate) of all its grids are listed. ``within``, when
    given, keeps only areas inside those paths or above them (staff choosers)."""
    areas = Area.objects.active()
    if parent is None:
        areas = areas.filter(kind=AreaKind.COMMUNITY)
    else:
        if parent.kind >= AreaKind.DWELLING:
            return []
        areas = (
            areas.filter(within_q([parent.path]), kind__gt=max(parent.kind, AreaKind.GRID))
            .filter(parent__is_active=True)
            .filter(Q(parent_id=parent.pk) | Q(parent__kind=AreaKind.GRID))
        )
    if within is not None:
        areas = areas.filter(_inside_or_above(within))
    return sorted(areas, key=lambda area: (area.kind, _natural_key(area.code), _natural_key(area.name)))


def _inside_or_above(paths: Sequence[str]) -> Q:
    ancestors = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    return within_q(list(paths)) | Q(pk__in=sorted(ancestors))


def chosen_chain(values: Iterable[str], *, within: Sequence[str] | None = None) -> list[Area]:
    """Turn the posted chooser values (one per level, top first) into the chain of areas they
    name, stopping at the first value that does not continue the chain (a stale lower choice
    left after an upper one changed). One query."""
    ids: list[int] = []
    for value in values:
        text = (value or "").strip()
        if not text.isdigit():
            break
        ids.append(int(text))
    if not ids:
        return []
    areas = Area.objects.active().filter(pk__in=ids)
    if within is not None:
        areas = areas.filter(_inside_or_above(within))
    found = {area.pk: area for area in areas}
    chain: list[Area] = []
    for area_id in ids:
        area = found.get(area_id)
        if area is None:
            break
        if not chain:
            if area.kind != AreaKind.COMMUNITY:
                break
        else:
            previous = chain[-1]
            if not area.path.startswith(previous.path) or area.kind <= previous.kind or area.kind < AreaKind.ESTATE:
                break
        chain.append(area)
    return chain


@dataclass
class ChooserStep:
    """One select of the cascading home chooser."""

    index: int
    options: list[Area]
    selected_id: int | None = None

    @property
    def kind_label(self) -> str:
        kinds = {area.kind for area in self.options}
        return str(AreaKind(kinds.pop()).label) if len(kinds) == 1 else ""


def chooser_steps(chain: Sequence[Area], *, within: Sequence[str] | None = None) -> list[ChooserStep]:
    """The selects to render for ``chain``: one per chosen level plus the next empty one."""
    steps: list[ChooserStep] = []
    parents: list[Area | None] = [None, *chain]
    for index, parent in enumerate(parents):
        if parent is not None and parent.kind >= AreaKind.DWELLING:
            break
        options = area_options(parent, within=within)
        if not options:
            break
        selected = chain[index].pk if index < len(chain) else None
        steps.append(ChooserStep(index=index, options=options, selected_id=selected))
    return steps


def get_active_area(area_id: Any, *, within: Sequence[str] | None = None) -> Area:
    """An active area of the public tree (staff: inside or above their remit), else 404."""
    text = str(area_id or "").strip()
    if not text.isdigit():
        raise Http404
    areas = Area.objects.active().filter(pk=int(text))
    if within is not None:
        areas = areas.filter(_inside_or_above(within))
    area = areas.first()
    if area is None:
        raise Http404
    return area


def area_labels(paths: Iterable[str]) -> dict[int, Area]:
    """Every ancestor named in ``paths`` (community level and below), by id, in one query."""
    ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    if not ids:
        return {}
    areas = Area.objects.filter(pk__in=sorted(ids), kind__in=sorted(LABEL_KINDS)).only("id", "kind", "name")
    return {area.pk: area for area in areas}


def address_label(path: str, labels: dict[int, Area], *, include_grid: bool = True) -> str:
    """ "花家地社区 · 花家地第一网格 · … · 1单元" for a dwelling path (the dwelling's own name
    excluded). Residents' pages leave out the grid, an administrative level."""
    names = [
        labels[int(part)].name
        for part in path.strip("/").split("/")[:-1]
        if part and int(part) in labels and (include_grid or labels[int(part)].kind != AreaKind.GRID)
    ]
    return " · ".join(names)


# --- a resident's own links -------------------------------------------------------------------


def links_of_resident(user: User) -> list[DwellingLink]:
    """The resident's own links, open ones first, each with ``address`` set (two queries)."""
    links: list[DwellingLink] = list(
        DwellingLink.objects.filter(user_id=user.pk)
        .select_related("dwelling")
        .annotate(
            open_rank=Case(
                When(status__in=["pending", "verified"], then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("open_rank", "-created_at", "-id")[:20]
    )
    attach_addresses(links, include_grid=False)
    return links


def get_own_link(user: User, link_id: int) -> DwellingLink:
    link = DwellingLink.objects.select_related("dwelling").filter(pk=link_id, user_id=user.pk).first()
    if link is None:
        raise Http404
    return link


def attach_addresses(links: Sequence[DwellingLink], *, include_grid: bool = True) -> None:
    """Set ``link.address`` (the dwelling's place names) on each link, in one query."""
    labels = area_labels(link.area_path for link in links)
    for link in links:
        link.address = address_label(link.area_path, labels, include_grid=include_grid)  # type: ignore[attr-defined]


# --- staff: links in scope --------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentSearch:
    """What staff search the residents list for; every part optional, all parts must match.

    ``phone_index`` is the blind index of a normalised mobile number (exact match, SECURITY.md
    D2); ``name`` matches part of the real name; ``building`` and ``room`` match the building's
    and the dwelling's names (digits alone: the number at the start, so "3" finds "3号楼" but
    not "13号楼")."""

    name: str = ""
    phone_index: str = ""
    building: str = ""
    room: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.phone_index or self.building or self.room)


def _place_name_q(field: str, text: str) -> Q:
    if text.isdigit():
        return Q(**{f"{field}__regex": rf"^0*{int(text)}([^0-9]|$)"})
    return Q(**{f"{field}__icontains": text})


def _search_q(search: ResidentSearch) -> Q:
    condition = Q()
    if search.name:
        condition &= Q(user__display_name__icontains=search.name)
    if search.phone_index:
        condition &= Q(user__phone_index=search.phone_index)
    if search.building:
        # A dwelling lies in a unit of a building, or directly in a building.
        condition &= Q(
            Q(dwelling__parent__kind=AreaKind.BUILDING) & _place_name_q("dwelling__parent__name", search.building)
        ) | Q(
            Q(dwelling__parent__parent__kind=AreaKind.BUILDING)
            & _place_name_q("dwelling__parent__parent__name", search.building)
        )
    if search.room:
        condition &= _place_name_q("dwelling__name", search.room)
    return condition


# The only columns the residents list shows (house rule: lean lists). The ID number is not among
# them: it is neither fetched nor decrypted here (the detail page shows it, masked).
LIST_COLUMNS = (
    "id",
    "status",
    "relation",
    "created_at",
    "area_path",
    "user",
    "user__display_name",
    "user__phone",
    "dwelling",
    "dwelling__name",
)


def links_for(
    actor: Any, *, status: str = "", area: Area | None = None, search: ResidentSearch | None = None
) -> QuerySet[DwellingLink]:
    """Links whose dwelling lies in the actor's remit, pending first, newest first, with only the
    columns the residents list shows."""
    links = DwellingLink.objects.filter(scope_q(actor, RESIDENT_VERIFIERS, field="area_path"))
    if status:
        links = links.filter(status=status)
    if area is not None:
        links = links.filter(within_q([area.path], field="area_path"))
    if search:
        links = links.filter(_search_q(search))
    return (
        links.select_related("user", "dwelling")
        .only(*LIST_COLUMNS)
        .annotate(
            pending_rank=Case(
                When(status=DwellingLinkStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("pending_rank", "-created_at", "-id")
    )


def get_link_for(actor: Any, link_id: int) -> DwellingLink:
    """A link in the actor's remit, else 404 (never 403: existence is not revealed)."""
    link = (
        DwellingLink.objects.filter(scope_q(actor, RESIDENT_VERIFIERS, field="area_path"), pk=link_id)
        .select_related("user", "dwelling", "decided_by")
        .first()
    )
    if link is None:
        raise Http404
    return link


def get_evidence_for(actor: Any, link_id: int, evidence_id: int) -> DwellingEvidence:
    """An evidence file of a link the actor may decide, else 404 (as for verification itself)."""
    evidence = (
        DwellingEvidence.objects.filter(
            scope_q(actor, RESIDENT_VERIFIERS, field="link__area_path"), pk=evidence_id, link_id=link_id
        )
        .select_related("link")
        .first()
    )
    if evidence is None or not actor.has_perm("accounts.verify_resident", evidence.link):
        raise Http404
    return evidence


def filter_areas_for(actor: Any) -> QuerySet[Area]:
    """Communities and grids in the actor's remit, for the residents list filter."""
    return (
        Area.objects.active()
        .filter(kind__in=[AreaKind.COMMUNITY, AreaKind.GRID])
        .filter(within_q(scope_paths(actor, RESIDENT_VERIFIERS)))
        .only("id", "kind", "name", "path")
        .order_by("path")
    )


def filter_area_options_for(actor: Any) -> list[tuple[int, str]]:
    """``filter_areas_for`` as (id, "name (kind)") options, in one hand-written query."""
    from linli.areas.models import path_range
    from linli.core.sql import cached_sql, connection_for, fetch, ranges_sql, table

    paths = scope_paths(actor, RESIDENT_VERIFIERS)
    if not paths:
        return []
    connection = connection_for(Area)
    where, params = ranges_sql("path", [path_range(path) for path in paths])
    sql = cached_sql(
        ("accounts.filter_area_options_for", len(paths)),
        connection,
        lambda quote: (
            f"SELECT {quote('id')}, {quote('kind')}, {quote('name')} FROM {quote(table(Area))} "  # noqa: S608
            f"WHERE {quote('is_active')} AND {quote('kind')} IN (%s, %s) AND {where} ORDER BY {quote('path')}"
        ),
    )
    labels = {kind: str(AreaKind(kind).label) for kind in (AreaKind.COMMUNITY, AreaKind.GRID)}
    rows = fetch(connection, sql, [int(AreaKind.COMMUNITY), int(AreaKind.GRID), *params])
    return [(pk, f"{name} ({labels[kind]})") for pk, kind, name in rows]


def pending_links_for_workbench(actor: Any, *, limit: int = 20) -> list[DwellingLink]:
    """The oldest pending links in the actor's remit (one query)."""
    return list(
        DwellingLink.objects.filter(
            scope_q(actor, RESIDENT_VERIFIERS, field="area_path"), status=DwellingLinkStatus.PENDING
        )
        .select_related("user", "dwelling")
        .order_by("created_at", "id")[:limit]
    )


# --- staff: verification letters --------------------------------------------------------------


def letter_scope(actor: Any) -> list[str]:
    return scope_paths(actor, LETTER_ISSUERS)


def letter_dwellings_under(area: Area) -> QuerySet[Area]:
    """Active dwellings in ``area`` (the area itself when it is a dwelling)."""
    return Area.objects.active().filter(within_q([area.path]), kind=AreaKind.DWELLING).order_by("path")


# --- staff: the residents list, lean ----------------------------------------------------------------


class ListLinkRow(NamedTuple):
    """What one row of the residents list shows, read without building models (decision 0011)."""

    id: int
    status: str
    relation: str
    created_at: Any
    area_path: str
    display_name: str
    phone: str  # decrypted here only to be masked by the view
    dwelling_name: str
    address: str | None = None  # the place names above the dwelling (``address_label``), when read


class ListLinks:
    """The residents list's rows for a Paginator: ``count()`` and slices, each one hand-written
    query (``links_for``'s filter and order without a search: scope, status, area). Searches go
    through ``links_for`` (the ORM; their conditions differ by database)."""

    def __init__(self, actor: Any, *, status: str = "", area: Area | None = None) -> None:
        self.paths = scope_paths(actor, RESIDENT_VERIFIERS)
        self.status = status
        self.area_path = area.path if area is not None else ""
        self._count: int | None = None

    def _where(self, quote: Any) -> tuple[str, list[Any]]:
        from linli.areas.models import path_range
        from linli.core.sql import ranges_sql

        scope, params = ranges_sql("l.area_path", [path_range(path) for path in self.paths])
        conditions = [scope]
        if self.status:
            conditions.append(f"l.{quote('status')} = %s")
            params.append(self.status)
        if self.area_path:
            area, area_params = ranges_sql("l.area_path", [path_range(self.area_path)])
            conditions.append(area)
            params.extend(area_params)
        return " AND ".join(conditions), params

    def _shape(self) -> tuple[Any, ...]:
        return (len(self.paths), bool(self.status), bool(self.area_path))

    def count(self) -> int:
        from linli.core.sql import cached_sql, connection_for, fetch, table

        if self._count is None:
            if not self.paths:
                self._count = 0
                return 0
            connection = connection_for(DwellingLink)
            where, params = self._where(connection.ops.quote_name)
            sql = cached_sql(
                ("accounts.list_links.count", *self._shape()),
                connection,
                lambda quote: f"SELECT COUNT(*) FROM {quote(table(DwellingLink))} l WHERE {where}",  # noqa: S608
            )
            self._count = int(fetch(connection, sql, params)[0][0])
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[ListLinkRow]:
        from linli.core.sql import aware, cached_sql, connection_for, fetch, parent_joins, table

        if not isinstance(window, slice) or not self.paths:
            return []
        start = window.start or 0
        stop = window.stop if window.stop is not None else start + 1000
        connection = connection_for(DwellingLink)
        where, params = self._where(connection.ops.quote_name)

        def build(quote: Any) -> str:
            # The dwelling's five nearest ancestors: every level an address names (community, grid,
            # estate, building, unit) lies within them, as kinds only grow down the tree.
            area = quote(table(Area))
            parents = parent_joins(quote, area, "d", 5)
            names = ", ".join(f"p{level}.{quote('kind')}, p{level}.{quote('name')}" for level in range(5, 0, -1))
            return (
                f"SELECT l.{quote('id')}, l.{quote('status')}, l.{quote('relation')}, l.{quote('created_at')}, "  # noqa: S608
                f"l.{quote('area_path')}, u.{quote('display_name')}, u.{quote('phone')}, d.{quote('name')}, {names} "
                # the page's ids first (sorted on the link table alone), then the joins for 50 rows
                f"FROM (SELECT l.{quote('id')} AS link_id, "
                f"CASE WHEN l.{quote('status')} = %s THEN 0 ELSE 1 END AS pending_rank "
                f"FROM {quote(table(DwellingLink))} l WHERE {where} "
                f"ORDER BY pending_rank, l.{quote('created_at')} DESC, l.{quote('id')} DESC LIMIT %s OFFSET %s) page "
                f"INNER JOIN {quote(table(DwellingLink))} l ON l.{quote('id')} = page.link_id "
                f"INNER JOIN {quote(table(User))} u ON u.{quote('id')} = l.{quote('user_id')} "
                f"INNER JOIN {area} d ON d.{quote('id')} = l.{quote('dwelling_id')} {parents}"
                f"ORDER BY page.pending_rank, l.{quote('created_at')} DESC, l.{quote('id')} DESC"
            )

        sql = cached_sql(("accounts.list_links.page", *self._shape()), connection, build)
        phone_field = User._meta.get_field("phone")
        decrypt = phone_field.from_db_value  # type: ignore[union-attr]
        rows = fetch(connection, sql, [DwellingLinkStatus.PENDING.value, *params, stop - start, start])
        label_kinds = LABEL_KINDS
        return [
            ListLinkRow(
                pk,
                status,
                relation,
                aware(created),
                path,
                name or "",
                decrypt(phone, None, connection),
                dwelling,
                " · ".join(
                    str(ancestors[index + 1])
                    for index in range(0, 10, 2)
                    if ancestors[index] is not None and ancestors[index] in label_kinds
                ),
            )
            for pk, status, relation, created, path, name, phone, dwelling, *ancestors in rows
        ]


def list_rows_of(links: Sequence[DwellingLink]) -> list[ListLinkRow]:
    """``ListLinkRow``s of links read through ``links_for`` (a search)."""
    return [
        ListLinkRow(
            link.pk,
            link.status,
            link.relation,
            link.created_at,
            link.area_path,
            link.user.display_name or "",
            link.user.phone,
            link.dwelling.name,
        )
        for link in links
    ]


def address_labels_for(paths: Iterable[str], *, include_grid: bool = True) -> dict[str, str]:
    """``address_label`` of each path, the place names read in one hand-written query."""
    from linli.core.sql import cached_sql, connection_for, fetch, table

    paths = list(paths)
    ids = sorted({int(part) for path in paths for part in path.strip("/").split("/") if part})
    if not ids:
        return {}
    connection = connection_for(Area)
    kinds = sorted(int(kind) for kind in LABEL_KINDS)

    def build(quote: Any) -> str:
        return (
            f"SELECT {quote('id')}, {quote('kind')}, {quote('name')} FROM {quote(table(Area))} "  # noqa: S608
            f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(ids))}) "
            f"AND {quote('kind')} IN ({', '.join(['%s'] * len(kinds))})"
        )

    sql = cached_sql(("accounts.address_labels_for", len(ids), len(kinds)), connection, build)
    names = {pk: (kind, name) for pk, kind, name in fetch(connection, sql, [*ids, *kinds])}
    labels: dict[str, str] = {}
    for path in paths:
        parts = [int(part) for part in path.strip("/").split("/")[:-1] if part]
        labels[path] = " · ".join(
            names[part][1] for part in parts if part in names and (include_grid or names[part][0] != AreaKind.GRID)
        )
    return labels


# --- staff: the detail page, lean ------------------------------------------------------------------


LINK_DETAIL_FIELDS = (
    "id", "user", "dwelling", "area_path", "relation", "status", "method", "note", "created_at", "decided_at",
    "decided_by", "person_id",
)  # fmt: skip
_DETAIL_READERS: dict[str, Any] = {}


def _detail_readers() -> dict[str, Any]:
    from linli.core.sql import Reader

    if not _DETAIL_READERS:
        _DETAIL_READERS.update(
            link=Reader(DwellingLink, LINK_DETAIL_FIELDS),
            user=Reader(User, ["id", "kind", "display_name", "phone", "id_number", "id_number_index", "is_active"]),
            dwelling=Reader(Area, ["id", "name", "kind", "path", "parent"]),
            decider=Reader(User, ["id", "display_name", "username"]),
        )
    return _DETAIL_READERS


def get_link_for_detail(actor: Any, link_id: int) -> DwellingLink:
    """``get_link_for`` as one hand-written query of the columns the detail page shows and its rules
    read (``Reader``: converted and built as the ORM builds them; the deciding staff member's
    encrypted fields and the dwelling's boundary are not read), else 404."""
    from linli.areas.models import path_range
    from linli.core.sql import cached_sql, connection_for, fetch, ranges_sql, table

    paths = scope_paths(actor, RESIDENT_VERIFIERS)
    if not paths:
        raise Http404
    readers = _detail_readers()
    connection = connection_for(DwellingLink)
    where, params = ranges_sql("l.area_path", [path_range(path) for path in paths])

    def build(quote: Any) -> str:
        return (
            f"SELECT {readers['link'].columns('l', quote)}, {readers['user'].columns('u', quote)}, "  # noqa: S608
            f"{readers['dwelling'].columns('d', quote)}, {readers['decider'].columns('x', quote)} "
            f"FROM {quote(table(DwellingLink))} l "
            f"INNER JOIN {quote(table(User))} u ON u.{quote('id')} = l.{quote('user_id')} "
            f"INNER JOIN {quote(table(Area))} d ON d.{quote('id')} = l.{quote('dwelling_id')} "
            f"LEFT JOIN {quote(table(User))} x ON x.{quote('id')} = l.{quote('decided_by_id')} "
            f"WHERE l.{quote('id')} = %s AND {where}"
        )

    sql = cached_sql(("accounts.get_link_for_detail", len(paths)), connection, build)
    rows = fetch(connection, sql, [link_id, *params])
    if not rows:
        raise Http404
    values = list(rows[0])
    parts = []
    for name in ("link", "user", "dwelling", "decider"):
        size = len(readers[name])
        parts.append(values[:size])
        values = values[size:]
    link = readers["link"].build(connection, parts[0])
    link.user = readers["user"].build(connection, parts[1])
    link.dwelling = readers["dwelling"].build(connection, parts[2])
    link.decided_by = readers["decider"].build(connection, parts[3]) if parts[3][0] is not None else None
    return link


class OtherLinkRow(NamedTuple):
    id: int
    status: str
    dwelling_name: str
    address: str


def link_rows_of_resident_in_scope(actor: Any, link: DwellingLink) -> list[OtherLinkRow]:
    """The resident's newest 11 links in the actor's remit — ``link`` itself among them when it is
    one of those 11 — with their addresses, as one hand-written query of the shown columns (the
    dwelling's five nearest ancestors joined, as in ``ListLinks``)."""
    from linli.areas.models import path_range
    from linli.core.sql import cached_sql, connection_for, fetch, parent_joins, ranges_sql, table

    paths = scope_paths(actor, RESIDENT_VERIFIERS)
    if not paths:
        return []
    connection = connection_for(DwellingLink)
    where, params = ranges_sql("l.area_path", [path_range(path) for path in paths])

    def build(quote: Any) -> str:
        area = quote(table(Area))
        parents = parent_joins(quote, area, "d", 5)
        names = ", ".join(f"p{level}.{quote('kind')}, p{level}.{quote('name')}" for level in range(5, 0, -1))
        return (
            f"SELECT l.{quote('id')}, l.{quote('status')}, d.{quote('name')}, {names} "  # noqa: S608
            f"FROM {quote(table(DwellingLink))} l "
            f"INNER JOIN {area} d ON d.{quote('id')} = l.{quote('dwelling_id')} {parents}"
            f"WHERE l.{quote('user_id')} = %s AND {where} "
            f"ORDER BY l.{quote('created_at')} DESC, l.{quote('id')} DESC LIMIT 11"
        )

    sql = cached_sql(("accounts.other_link_rows_in_scope", len(paths)), connection, build)
    return [
        OtherLinkRow(
            pk,
            status,
            dwelling,
            " · ".join(
                str(ancestors[index + 1])
                for index in range(0, 10, 2)
                if ancestors[index] is not None and ancestors[index] in LABEL_KINDS
            ),
        )
        for pk, status, dwelling, *ancestors in fetch(connection, sql, [link.user_id, *params])
    ]


def accounts_sharing_id_number(user: User) -> int:
    """How many other accounts gave the same ID number (a hint for the verifier; blind index):
    one hand-written count."""
    from linli.core.sql import cached_sql, connection_for, fetch, table

    if not user.id_number_index:
        return 0
    connection = connection_for(User)
    sql = cached_sql(
        ("accounts.accounts_sharing_id_number",),
        connection,
        lambda quote: (
            f"SELECT COUNT(*) FROM {quote(table(User))} "  # noqa: S608
            f"WHERE {quote('id_number_index')} = %s AND {quote('id')} <> %s"
        ),
    )
    return int(fetch(connection, sql, [user.id_number_index, user.pk])[0][0])


class EvidenceRow(NamedTuple):
    id: int
    kind: str
    kind_label: str
    content_type: str
    size: int


def evidence_rows_of(link: DwellingLink) -> list[EvidenceRow]:
    """The files attached to a link, without their (encrypted) content: one hand-written query."""
    from linli.accounts.models import EvidenceKind
    from linli.core.sql import cached_sql, connection_for, fetch, table

    connection = connection_for(DwellingEvidence)
    sql = cached_sql(
        ("accounts.evidence_rows_of",),
        connection,
        lambda quote: (
            f"SELECT {quote('id')}, {quote('kind')}, {quote('content_type')}, {quote('size')} "  # noqa: S608
            f"FROM {quote(table(DwellingEvidence))} WHERE {quote('link_id')} = %s ORDER BY {quote('id')}"
        ),
    )
    labels = {value: str(label) for value, label in EvidenceKind.choices}
    return [
        EvidenceRow(pk, kind, labels.get(kind, kind), content_type, size)
        for pk, kind, content_type, size in fetch(connection, sql, [link.pk])
    ]
