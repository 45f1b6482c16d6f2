"""Community notices (通知公告): a notice published by staff to an area they hold a role at (street,
community, grid, estate or building), received by the residents of the verified dwellings in it.

* ``Notice``: the current text, the target area (``area_path`` copied for scoping), urgency, state
  (scheduled → published → withdrawn) and publication time. A correction (更正) writes a new
  ``NoticeVersion`` and keeps every earlier one; a withdrawal (撤回) keeps the row and its history.
* ``NoticeAttachment``: an image or a document stored outside the database under a random name,
  checked by content on upload and served with its own content type.
* ``NoticeReceipt``: one per recipient: the dwelling (and its grid) through which the resident got
  it, the inbox entry, when it was read (回执) and reminded.
* ``NoticeReminder``: each reminder sent to unread recipients (who sent it, where, to how many).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.areas.models import Area, PathField


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")  # 一般
    IMPORTANT = "important", _("important")  # 重要
    URGENT = "urgent", _("urgent")  # 紧急: also by SMS / e-mail as each resident chose


class NoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")  # 定时发布
    PUBLISHED = "published", _("published")  # 已发布
    WITHDRAWN = "withdrawn", _("withdrawn")  # 已撤回


class Notice(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="notices")
    area_path = PathField(max_length=255, editable=False)  # copy of area.path, for scoping
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.SCHEDULED)
    publish_at = models.DateTimeField(_("publish at"))
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveSmallIntegerField(default=1)
    corrected_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.CharField(max_length=200, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="published", published_at__isnull=False)
                | Q(status="scheduled", published_at__isnull=True)
                | Q(status="withdrawn", withdrawn_at__isnull=False),
                name="notice_status_times",
            ),
            models.CheckConstraint(condition=Q(urgency__in=["normal", "important", "urgent"]), name="notice_urgency"),
        ]
        indexes = [
            # Boards and homes: published notices of the areas above and below a place, newest first.
            models.Index(fields=["area_path", "status", "-publish_at"], name="notice_area_status_idx"),
            # The publishing job: scheduled notices that are due.
            models.Index(fields=["status", "publish_at"], name="notice_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_withdrawn(self) -> bool:
        return self.status == NoticeStatus.WITHDRAWN

    @property
    def is_corrected(self) -> bool:
        """已更正: corrected after it was published."""
        return bool(self.corrected_at and self.published_at and self.corrected_at > self.published_at)


class NoticeVersion(models.Model):
    """The text of a notice as it was published (version 1) and after each correction."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    reason = models.CharField(max_length=200, blank=True)  # why it was corrected
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notice", "-number"]
        constraints = [models.UniqueConstraint(fields=["notice", "number"], name="notice_version_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id} v{self.number}"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("image")
    DOCUMENT = "document", _("document")


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices)
    name = models.CharField(max_length=120)  # the uploader's file name, cleaned
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=80, unique=True, editable=False)  # random, never user-chosen
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notice", "kind", "position", "id"]

    def __str__(self) -> str:
        return self.name


class NoticeReceipt(models.Model):
    """One recipient of a published notice (回执): through which dwelling and grid they got it, the
    inbox entry, and when they read it or were reminded."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_receipts")
    area_path = PathField(max_length=255)  # the dwelling's path, for the staff's scope
    grid = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    notification = models.ForeignKey(
        "notify.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_receipt_unique")]
        indexes = [
            models.Index(fields=["notice", "area_path"], name="notice_receipt_scope_idx"),
            models.Index(fields=["user", "notice"], name="notice_receipt_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.user_id}"


class NoticeReminder(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reminders")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"reminder {self.notice_id} ({self.recipients})"
