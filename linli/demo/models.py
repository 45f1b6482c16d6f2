"""Records of the demo street (演示街道): which data set was loaded, and the fictional accounts it
created, so the demo authenticator page and ``linli demo_accounts`` show those accounts and never a
real one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.areas.models import Area


class DemoScale(models.TextChoices):
    """``small``: 5 communities, a few thousand dwellings. ``street``: 25 communities, ~40k
    dwellings, the scale of the benchmarks."""

    SMALL = "small", _("small")
    STREET = "street", _("street")


class DemoDataset(models.Model):
    """The demo street loaded into this database. At most one: the loader writes row 1 first in
    its transaction, so two concurrent loads cannot both succeed."""

    scale = models.CharField(max_length=10, choices=DemoScale.choices)
    seed = models.BigIntegerField()
    fingerprint = models.CharField(max_length=64)
    counts = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"demo {self.scale} (seed {self.seed})"


class DemoAccountLabel(models.TextChoices):
    """What a demo account is for: a staff role, or one of the two well-known residents."""

    STREET_OFFICER = "street_officer", _("street officer")
    COMMUNITY_LEADER = "community_leader", _("community leader")
    COMMUNITY_WORKER = "community_worker", _("community worker")
    GRID_WORKER = "grid_worker", _("grid worker")
    DEPARTMENT_OFFICER = "department_officer", _("department officer")
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")
    RESIDENT_VERIFIED = "resident_verified", _("resident with a verified home")
    RESIDENT_NEW = "resident_new", _("new resident")


class DemoAccount(models.Model):
    """A fictional account made by the demo generator, shown with its sign-in details."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=32, choices=DemoAccountLabel.choices)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.get_label_display()}: {self.user}"

    @property
    def is_staff_account(self) -> bool:
        return self.label not in (DemoAccountLabel.RESIDENT_VERIFIED, DemoAccountLabel.RESIDENT_NEW)
