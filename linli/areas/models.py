"""Areas: one table for every level of the jurisdiction tree.

Scoping uses a materialised path of ids (``/1/5/23/``). ``within(area)`` is a range condition
``path >= '/1/5/' AND path < '/1/50'`` that a plain B-tree index answers on SQLite and on
PostgreSQL (the column uses the "C" collation there, so the order is bytewise).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AreaKind(models.IntegerChoices):
    """Levels of the tree, in order. A child is always of a deeper level than its parent; a level
    may be skipped (a building directly under a grid where there is no named estate)."""

    DISTRICT = 1, _("district")  # 区 (GB/T 2260 code)
    STREET = 2, _("street")  # 街道
    COMMUNITY = 3, _("community")  # 社区
    GRID = 4, _("grid")  # 网格
    ESTATE = 5, _("estate")  # 小区
    BUILDING = 6, _("building")  # 楼栋
    UNIT = 7, _("unit")  # 单元
    DWELLING = 8, _("dwelling")  # 房屋


KIND_CHINESE = {
    AreaKind.DISTRICT: "区",
    AreaKind.STREET: "街道",
    AreaKind.COMMUNITY: "社区",
    AreaKind.GRID: "网格",
    AreaKind.ESTATE: "小区",
    AreaKind.BUILDING: "楼栋",
    AreaKind.UNIT: "单元",
    AreaKind.DWELLING: "房屋",
}


class PathField(models.CharField):
    """A CharField compared bytewise: the "C" collation on PostgreSQL (SQLite's default BINARY
    already is). Computed per connection so migrations stay identical across databases."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


def path_range(path: str) -> tuple[str, str]:
    """[lower, upper) bounds of every path starting with ``path`` (which ends with '/')."""
    return path, path[:-1] + "0"  # '0' is the character after '/'


def within_q(paths: list[str] | tuple[str, ...], field: str = "path") -> Q:
    """Q matching objects whose ``field`` path lies under any of ``paths``. No paths: nothing."""
    condition = Q(pk__in=[])
    for path in paths:
        lower, upper = path_range(path)
        condition |= Q(**{f"{field}__gte": lower, f"{field}__lt": upper})
    return condition


class AreaQuerySet(models.QuerySet["Area"]):
    def within(self, *areas: Area) -> AreaQuerySet:
        return self.filter(within_q([area.path for area in areas]))

    def active(self) -> AreaQuerySet:
        return self.filter(is_active=True)


class Area(models.Model):
    kind = models.PositiveSmallIntegerField(choices=AreaKind.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = PathField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    geometry = models.JSONField(_("GeoJSON geometry"), null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # The area whose deactivation also deactivated this one (itself when deactivated directly), so
    # reactivating it restores exactly that subtree and leaves areas deactivated separately alone.
    deactivated_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "code"], name="area_unique_code_in_parent"),
            models.UniqueConstraint(fields=["code"], condition=Q(parent__isnull=True), name="area_unique_root_code"),
            models.CheckConstraint(condition=Q(kind__gte=1, kind__lte=8), name="area_kind_valid"),
        ]
        indexes = [models.Index(fields=["kind", "path"], name="area_kind_path_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return str(AreaKind(self.kind).label)

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def contains(self, other: Area) -> bool:
        return other.path.startswith(self.path)


class Department(models.Model):
    """A government department serving a street (派出所, 城管, 住建, 民政, …); its officers hold the
    department-officer role at the street (or a narrower area)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="departments")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
