"""Reads of community notices, scoped (house rule 4).

* Staff see the notices addressed inside their remit and those addressed to an area above it (a
  street-wide notice reaches a grid worker's residents too); read counts and reminders cover only
  the recipients in their remit. Anything else answers 404.
* Residents see the published notices of the places their verified homes lie in, and the withdrawn
  ones they received (as withdrawn).
* Anyone sees a community's public board: its published, non-withdrawn notices and the street's,
  with place names only (no staff or resident names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from linli.accounts.models import AccountKind, DwellingLink, DwellingLinkStatus
from linli.accounts.scoping import scope_paths
from linli.areas.models import Area, AreaKind, path_range, within_q
from linli.core.sql import aware, cached_sql, connection_for, datetime_param, fetch, ranges_sql, table
from linli.notices.actions import TARGET_KINDS, read_q
from linli.notices.models import Notice, NoticeAttachment, NoticeReceipt, NoticeStatus, NoticeVersion
from linli.notices.permissions import NOTICE_STAFF, PUBLISHERS

LIST_FIELDS = (
    "id", "title", "urgency", "status", "publish_at", "published_at", "corrected_at", "withdrawn_at",
    "recipient_count", "area_path", "area__id", "area__name", "area__kind",
)  # fmt: skip
BOARD_LIMIT = 50


def prefixes(path: str) -> list[str]:
    """Every area path above and including ``path`` ("/1/5/9/" → "/1/", "/1/5/", "/1/5/9/")."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[: end + 1]) + "/" for end in range(len(parts))]


def _ancestor_paths(paths: list[str]) -> list[str]:
    return sorted({prefix for path in paths for prefix in prefixes(path)[:-1]})


# --- staff -----------------------------------------------------------------------------------------------


def staff_visibility_q(actor: Any) -> Q:
    paths = scope_paths(actor, NOTICE_STAFF)
    return within_q(paths, field="area_path") | Q(area_path__in=_ancestor_paths(paths))


def staff_notices_for(actor: Any, *, status: str = "") -> QuerySet[Notice]:
    """Notices in or above the actor's remit, newest first (only the listed columns)."""
    notices = Notice.objects.filter(staff_visibility_q(actor))
    if status in NoticeStatus.values:
        notices = notices.filter(status=status)
    return notices.select_related("area").only(*LIST_FIELDS).order_by("-publish_at", "-id")


@dataclass(frozen=True)
class ReadCount:
    total: int
    read: int

    @property
    def unread(self) -> int:
        return self.total - self.read

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0


def read_counts_for(actor: Any, notice_ids: list[int]) -> dict[int, ReadCount]:
    """Recipients and readers of each notice within the actor's remit (one query)."""
    if not notice_ids:
        return {}
    rows = (
        NoticeReceipt.objects.filter(
            within_q(scope_paths(actor, NOTICE_STAFF), field="area_path"), notice_id__in=notice_ids
        )
        .values("notice_id")
        .annotate(total=Count("id"), read=Count("id", filter=read_q()))
        .order_by()
    )
    return {row["notice_id"]: ReadCount(row["total"], row["read"]) for row in rows}


@dataclass(frozen=True)
class GridCount:
    grid_id: int | None
    grid_name: str
    count: ReadCount


def grid_counts_for(actor: Any, notice: Notice) -> list[GridCount]:
    """Read counts per grid of the recipients in the actor's remit (one query), by grid order."""
    rows = (
        NoticeReceipt.objects.filter(within_q(scope_paths(actor, NOTICE_STAFF), field="area_path"), notice_id=notice.pk)
        .values("grid_id", "grid__name", "grid__path")
        .annotate(total=Count("id"), read=Count("id", filter=read_q()))
        .order_by("grid__path")
    )
    return [GridCount(row["grid_id"], row["grid__name"] or "", ReadCount(row["total"], row["read"])) for row in rows]


def get_notice_for(actor: Any, notice_id: int) -> Notice:
    """One notice the actor may see (staff in or above their remit, a resident's own), else 404."""
    if getattr(actor, "kind", None) == AccountKind.STAFF:
        if not actor.has_perm("notices.view_notices"):
            raise Http404
        queryset = Notice.objects.filter(staff_visibility_q(actor))
    elif getattr(actor, "is_authenticated", False) and actor.has_perm("notices.read_notices"):
        queryset = resident_notices_q(actor)
    else:
        raise Http404
    notice = queryset.select_related("area", "created_by", "withdrawn_by").filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    return notice


def get_managed_notice_for(actor: Any, notice_id: int) -> Notice:
    """A notice the actor may correct or withdraw (addressed inside their publishing remit), else 404."""
    notice = (
        Notice.objects.filter(within_q(scope_paths(actor, PUBLISHERS), field="area_path"), pk=notice_id)
        .select_related("area")
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def versions_of(notice: Notice) -> list[NoticeVersion]:
    return list(NoticeVersion.objects.filter(notice_id=notice.pk).order_by("-number"))


def attachments_of(notice: Notice) -> list[NoticeAttachment]:
    return list(
        NoticeAttachment.objects.filter(notice_id=notice.pk)
        .only("id", "notice_id", "kind", "name", "content_type", "size", "position")
        .order_by("kind", "position", "id")
    )


def target_areas_for(actor: Any) -> list[Area]:
    """Streets, communities, grids and estates where the actor may publish (buildings are chosen
    under an estate, see ``buildings_under``), in tree order."""
    kinds = sorted(kind for kind in TARGET_KINDS if kind != AreaKind.BUILDING)
    return list(
        Area.objects.active()
        .filter(within_q(scope_paths(actor, PUBLISHERS)), kind__in=kinds)
        .only("id", "name", "kind", "path", "depth")
        .order_by("path")
    )


def get_target_area_for(actor: Any, area_id: Any) -> Area:
    """An active street, community, grid, estate or building in the actor's publishing remit, else 404."""
    text = str(area_id or "").strip()
    if not text.isdigit():
        raise Http404
    area = (
        Area.objects.active()
        .filter(within_q(scope_paths(actor, PUBLISHERS)), pk=int(text), kind__in=sorted(TARGET_KINDS))
        .first()
    )
    if area is None:
        raise Http404
    return area


def buildings_under(actor: Any, estate: Area) -> list[Area]:
    return list(
        Area.objects.active()
        .filter(within_q([estate.path]), within_q(scope_paths(actor, PUBLISHERS)), kind=AreaKind.BUILDING)
        .only("id", "name", "path")
        .order_by("path")
    )


@dataclass(frozen=True)
class WorkbenchNoticeRow:
    id: int
    title: str
    when: Any  # publish_at of a scheduled notice, published_at of a published one (aware)
    urgency: str
    area_name: str
    count: ReadCount | None = None


def scheduled_for_workbench(actor: Any, *, limit: int = 10) -> list[WorkbenchNoticeRow]:
    """The actor's publishing remit's scheduled notices, next first: one hand-written query of the
    displayed columns (the workbench runs it on every load; docs/modules.md, "Lean pages")."""
    paths = scope_paths(actor, PUBLISHERS)
    if not paths:
        return []
    connection = connection_for(Notice)
    where, params = ranges_sql("n.area_path", [path_range(path) for path in paths])

    def build(quote: Any) -> str:
        return (
            f"SELECT n.{quote('id')}, n.{quote('title')}, n.{quote('publish_at')}, n.{quote('urgency')}, "  # noqa: S608
            f"a.{quote('name')} FROM {quote(table(Notice))} n "
            f"INNER JOIN {quote(table(Area))} a ON a.{quote('id')} = n.{quote('area_id')} "
            f"WHERE n.{quote('status')} = %s AND {where} "
            f"ORDER BY n.{quote('publish_at')}, n.{quote('id')} LIMIT %s"
        )

    sql = cached_sql(("notices.scheduled_for_workbench", len(paths)), connection, build)
    rows = fetch(connection, sql, [NoticeStatus.SCHEDULED.value, *params, limit])
    return [WorkbenchNoticeRow(pk, title, aware(when), urgency, name) for pk, title, when, urgency, name in rows]


def low_read_for_workbench(actor: Any, *, since: Any, until: Any, limit: int = 50) -> list[WorkbenchNoticeRow]:
    """Notices in or above the actor's remit published between ``since`` and ``until``, newest
    first, each with the recipients and readers inside the actor's remit (``read_counts_for``'s
    count), only those with recipients there: one hand-written query."""
    paths = scope_paths(actor, NOTICE_STAFF)
    if not paths:
        return []
    connection = connection_for(Notice)
    inside, inside_params = ranges_sql("n.area_path", [path_range(path) for path in paths])
    ancestors = _ancestor_paths(paths)
    receipts, receipt_params = ranges_sql("r.area_path", [path_range(path) for path in paths])

    def build(quote: Any) -> str:
        from linli.notify.models import Notification

        above = f"n.{quote('area_path')} IN ({', '.join(['%s'] * len(ancestors))})" if ancestors else "1 = 0"
        read = f"(r.{quote('read_at')} IS NOT NULL OR m.{quote('read_at')} IS NOT NULL)"
        return (
            f"SELECT n.{quote('id')}, n.{quote('title')}, n.{quote('published_at')}, n.{quote('urgency')}, "  # noqa: S608
            f"a.{quote('name')}, COUNT(r.{quote('id')}), SUM(CASE WHEN {read} THEN 1 ELSE 0 END) "
            f"FROM {quote(table(Notice))} n "
            f"INNER JOIN {quote(table(Area))} a ON a.{quote('id')} = n.{quote('area_id')} "
            f"INNER JOIN {quote(table(NoticeReceipt))} r ON r.{quote('notice_id')} = n.{quote('id')} "
            f"LEFT JOIN {quote(table(Notification))} m ON m.{quote('id')} = r.{quote('notification_id')} "
            f"WHERE n.{quote('status')} = %s AND n.{quote('published_at')} >= %s AND n.{quote('published_at')} <= %s "
            f"AND ({inside} OR {above}) AND {receipts} "
            f"GROUP BY n.{quote('id')}, n.{quote('title')}, n.{quote('published_at')}, n.{quote('urgency')}, "
            f"a.{quote('name')} ORDER BY n.{quote('published_at')} DESC, n.{quote('id')} DESC LIMIT %s"
        )

    sql = cached_sql(("notices.low_read_for_workbench", len(paths), len(ancestors)), connection, build)
    params = [
        NoticeStatus.PUBLISHED.value,
        datetime_param(connection, since),
        datetime_param(connection, until),
        *inside_params,
        *ancestors,
        *receipt_params,
        limit,
    ]
    return [
        WorkbenchNoticeRow(pk, title, aware(when), urgency, name, ReadCount(int(total), int(read or 0)))
        for pk, title, when, urgency, name, total, read in fetch(connection, sql, params)
    ]


# --- residents ----------------------------------------------------------------------------------------------


def home_paths(user: Any) -> list[str]:
    return list(
        DwellingLink.objects.filter(user_id=user.pk, status=DwellingLinkStatus.VERIFIED).values_list(
            "area_path", flat=True
        )
    )


def resident_notices_q(user: Any, paths: list[str] | None = None) -> QuerySet[Notice]:
    """Published notices of the places the resident lives in, and withdrawn ones they received."""
    paths = home_paths(user) if paths is None else paths
    above = sorted({prefix for path in paths for prefix in prefixes(path)})
    received = NoticeReceipt.objects.filter(notice_id=OuterRef("pk"), user_id=user.pk)
    return Notice.objects.filter(
        Q(status=NoticeStatus.PUBLISHED, area_path__in=above) | Q(Exists(received), status=NoticeStatus.WITHDRAWN)
    )


def notices_for_resident(user: Any, *, paths: list[str] | None = None) -> QuerySet[Notice]:
    """The resident's notices, newest first, each with ``is_read`` (on the notice page or in the inbox)."""
    read = NoticeReceipt.objects.filter(read_q(), notice_id=OuterRef("pk"), user_id=user.pk)
    return (
        resident_notices_q(user, paths)
        .annotate(is_read=Exists(read))
        .select_related("area")
        .only(*LIST_FIELDS)
        .order_by("-publish_at", "-id")
    )


# --- the public board ----------------------------------------------------------------------------------------


def board_communities() -> list[Area]:
    return list(
        Area.objects.active()
        .filter(kind=AreaKind.COMMUNITY)
        .select_related("parent")
        .only("id", "name", "path", "parent__name")
        .order_by("path")
    )


def get_board_community(community_id: int) -> Area:
    area = Area.objects.active().filter(pk=community_id, kind=AreaKind.COMMUNITY).select_related("parent").first()
    if area is None:
        raise Http404
    return area


def board_notices_q(community: Area) -> QuerySet[Notice]:
    """Published, non-withdrawn notices of the community, of the places in it and of the street above."""
    return Notice.objects.filter(
        within_q([community.path], field="area_path") | Q(area_path__in=prefixes(community.path)[:-1]),
        status=NoticeStatus.PUBLISHED,
    )


def board_notices(community: Area, *, limit: int = BOARD_LIMIT) -> list[Notice]:
    return list(
        board_notices_q(community).select_related("area").only(*LIST_FIELDS).order_by("-publish_at", "-id")[:limit]
    )


def get_board_notice(community: Area, notice_id: int) -> Notice:
    notice = board_notices_q(community).select_related("area").filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    return notice


def get_attachment_for(actor: Any, attachment_id: int) -> NoticeAttachment:
    """A file of a published notice (public, as the board is), or of a notice the staff member may
    see; anything else 404."""
    attachment = NoticeAttachment.objects.select_related("notice").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    if attachment.notice.status == NoticeStatus.PUBLISHED:
        return attachment
    if getattr(actor, "kind", None) == AccountKind.STAFF and actor.has_perm("notices.view_notices"):
        if Notice.objects.filter(staff_visibility_q(actor), pk=attachment.notice_id).exists():
            return attachment
    raise Http404


def with_attachments(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    return notices.prefetch_related(
        Prefetch("attachments", queryset=NoticeAttachment.objects.only("id", "notice_id", "kind", "name"))
    )


# --- the staff list, lean (decision 0011) --------------------------------------------------------------


class StaffNoticeRow(NamedTuple):
    id: int
    title: str
    urgency: str
    status: str
    publish_at: Any
    published_at: Any
    corrected_at: Any
    area_name: str

    @property
    def is_corrected(self) -> bool:
        """As ``Notice.is_corrected``: corrected after it was published."""
        return bool(self.corrected_at and self.published_at and self.corrected_at > self.published_at)


class StaffNotices:
    """``staff_notices_for`` for a Paginator — ``count()`` and slices — as hand-written queries of
    the listed columns (no models built; the staff list runs them on every load)."""

    def __init__(self, actor: Any, *, status: str = "") -> None:
        self.paths = scope_paths(actor, NOTICE_STAFF)
        self.ancestors = _ancestor_paths(self.paths)
        self.status = status if status in NoticeStatus.values else ""
        self._count: int | None = None

    def _where(self, quote: Any) -> tuple[str, list[Any]]:
        inside, params = ranges_sql("n.area_path", [path_range(path) for path in self.paths])
        above = f"n.{quote('area_path')} IN ({', '.join(['%s'] * len(self.ancestors))})" if self.ancestors else "1 = 0"
        where = f"({inside} OR {above})"
        params = [*params, *self.ancestors]
        if self.status:
            where += f" AND n.{quote('status')} = %s"
            params.append(self.status)
        return where, params

    def _shape(self) -> tuple[Any, ...]:
        return (len(self.paths), len(self.ancestors), bool(self.status))

    def count(self) -> int:
        if self._count is None:
            if not self.paths:
                self._count = 0
                return 0
            connection = connection_for(Notice)
            where, params = self._where(connection.ops.quote_name)
            sql = cached_sql(
                ("notices.staff_notices.count", *self._shape()),
                connection,
                lambda quote: f"SELECT COUNT(*) FROM {quote(table(Notice))} n WHERE {where}",  # noqa: S608
            )
            self._count = int(fetch(connection, sql, params)[0][0])
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[StaffNoticeRow]:
        if not isinstance(window, slice) or not self.paths:
            return []
        start = window.start or 0
        stop = window.stop if window.stop is not None else start + 1000
        connection = connection_for(Notice)
        where, params = self._where(connection.ops.quote_name)

        def build(quote: Any) -> str:
            columns = ", ".join(
                f"n.{quote(name)}"
                for name in ("id", "title", "urgency", "status", "publish_at", "published_at", "corrected_at")
            )
            return (
                f"SELECT {columns}, a.{quote('name')} FROM {quote(table(Notice))} n "  # noqa: S608
                f"INNER JOIN {quote(table(Area))} a ON a.{quote('id')} = n.{quote('area_id')} "
                f"WHERE {where} ORDER BY n.{quote('publish_at')} DESC, n.{quote('id')} DESC LIMIT %s OFFSET %s"
            )

        sql = cached_sql(("notices.staff_notices.page", *self._shape()), connection, build)
        return [
            StaffNoticeRow(pk, title, urgency, status, aware(publish_at), aware(published), aware(corrected), name)
            for pk, title, urgency, status, publish_at, published, corrected, name in fetch(
                connection, sql, [*params, stop - start, start]
            )
        ]


def read_counts_by_hand(actor: Any, notice_ids: list[int]) -> dict[int, ReadCount]:
    """``read_counts_for`` as one hand-written query (the same count: recipients in the actor's
    remit, read in the notice or in the inbox)."""
    paths = scope_paths(actor, NOTICE_STAFF)
    if not notice_ids or not paths:
        return {}
    from linli.notify.models import Notification

    connection = connection_for(NoticeReceipt)
    scope, scope_params = ranges_sql("r.area_path", [path_range(path) for path in paths])

    def build(quote: Any) -> str:
        read = f"(r.{quote('read_at')} IS NOT NULL OR m.{quote('read_at')} IS NOT NULL)"
        return (
            f"SELECT r.{quote('notice_id')}, COUNT(r.{quote('id')}), SUM(CASE WHEN {read} THEN 1 ELSE 0 END) "  # noqa: S608
            f"FROM {quote(table(NoticeReceipt))} r "
            f"LEFT JOIN {quote(table(Notification))} m ON m.{quote('id')} = r.{quote('notification_id')} "
            f"WHERE r.{quote('notice_id')} IN ({', '.join(['%s'] * len(notice_ids))}) AND {scope} "
            f"GROUP BY r.{quote('notice_id')}"
        )

    sql = cached_sql(("notices.read_counts_by_hand", len(notice_ids), len(paths)), connection, build)
    rows = fetch(connection, sql, [*notice_ids, *scope_params])
    return {notice_id: ReadCount(int(total), int(read or 0)) for notice_id, total, read in rows}
