"""Records of the privacy module."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RevealRecord(models.Model):
    """One full value shown to a staff member by ``privacy.actions.do_reveal_field``.

    It drives the per-user reveal quota and the officer's own "My reveals" page; the audit event
    ``privacy.revealed`` stays the authoritative record (readable only by the audit administrator).
    It never holds the revealed value: the object is named by type, id and a masked label."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=64)
    category = models.CharField(max_length=32)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="privacy_reveal_user_time")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.field} {self.object_type}:{self.object_id}"
