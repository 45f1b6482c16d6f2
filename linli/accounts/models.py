"""Accounts.

* ``User``: one table for residents (phone + one-time code; no password) and staff (username,
  Argon2 password, mandatory TOTP). Phone and ID numbers are encrypted, with blind indexes.
* ``RoleAssignment``: a staff role held at an area (and for department officers, a department).
* ``DwellingLink``: a resident's claim to live in a dwelling, verified by staff in scope or by a
  one-time code letter from the community (``VerificationLetter``); ``DwellingEvidence`` is the
  encrypted photo of a 房产证 or 租赁合同 attached to a request until it is decided.
* ``LoginCode``: phone one-time codes, stored as keyed hashes.
* ``UserSession``: the server-side record of each signed-in session (idle/absolute timeout,
  "log out everywhere").
* ``StaffTOTPDevice``: a django-otp device whose seed is encrypted at rest.
* ``ApiToken``: hashed, area-scoped, revocable machine-client tokens.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

from linli.areas.models import Area, Department
from linli.privacy.fields import EncryptedTextField


class AccountKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    STAFF = "staff", _("staff")


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")  # 网格员
    COMMUNITY_WORKER = "community_worker", _("community worker")  # 社区工作者
    COMMUNITY_LEADER = "community_leader", _("community leader")  # 社区书记/主任
    STREET_OFFICER = "street_officer", _("street officer")  # 街道干部
    DEPARTMENT_OFFICER = "department_officer", _("department officer")  # 部门工作人员
    SYSTEM_ADMIN = "system_admin", _("system administrator")  # 系统管理员
    SECURITY_ADMIN = "security_admin", _("security administrator")  # 安全管理员
    AUDIT_ADMIN = "audit_admin", _("audit administrator")  # 审计管理员


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username=username)


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    username = models.CharField(_("username"), max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=AccountKind.choices, default=AccountKind.RESIDENT)
    display_name = models.CharField(_("name"), max_length=64, blank=True)
    phone = EncryptedTextField(_("mobile phone"), category="phone")
    phone_index = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_number = EncryptedTextField(_("ID number"), category="id_number")
    id_number_index = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # Django admin is not used; kept for compatibility
    date_joined = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=10, blank=True)
    elderly_mode = models.BooleanField(default=False)
    notify_by_sms = models.BooleanField(default=True)
    notify_by_email = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_resident(self) -> bool:
        return self.kind == AccountKind.RESIDENT

    @property
    def is_staff_account(self) -> bool:
        return self.kind == AccountKind.STAFF


class ActiveRoleQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> ActiveRoleQuerySet:
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="role_assignments")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ActiveRoleQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="department_officer", department__isnull=False)
                | (~Q(role="department_officer") & Q(department__isnull=True)),
                name="role_department_only_for_officers",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(revoked_at__isnull=True),
                name="role_unique_active_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.area}"


class DwellingLinkStatus(models.TextChoices):
    PENDING = "pending", _("pending verification")
    VERIFIED = "verified", _("verified")
    REJECTED = "rejected", _("rejected")
    REVOKED = "revoked", _("revoked")


class DwellingRelation(models.TextChoices):
    """How the resident is related to the dwelling: 业主 (owner), 租户 (tenant), 家庭成员 (family member)."""

    OWNER = "owner", _("owner")
    TENANT = "tenant", _("tenant")
    FAMILY = "family", _("family member")


class DwellingLinkMethod(models.TextChoices):
    STAFF = "staff", _("verified by staff")
    LETTER = "letter", _("verification letter")


class DwellingLink(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="dwelling_links")
    dwelling = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="resident_links")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)  # copy of dwelling.path
    relation = models.CharField(
        _("relation"), max_length=20, choices=DwellingRelation.choices, default=DwellingRelation.OWNER
    )
    status = models.CharField(max_length=10, choices=DwellingLinkStatus.choices, default=DwellingLinkStatus.PENDING)
    method = models.CharField(max_length=10, choices=DwellingLinkMethod.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person_id = models.BigIntegerField(null=True, blank=True)  # registry person, linked later

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dwelling"],
                condition=Q(status__in=["pending", "verified"]),
                name="dwelling_link_unique_open",
            ),
            models.CheckConstraint(
                condition=Q(relation__in=["owner", "tenant", "family"]), name="dwelling_link_relation_valid"
            ),
        ]
        # The verification queue: pending links inside an area, oldest first.
        indexes = [models.Index(fields=["status", "area_path"], name="dwelling_link_status_path_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.dwelling_id} ({self.status})"


class EvidenceKind(models.TextChoices):
    """What a resident attached to a home-link request to show they live there."""

    PROPERTY_CERTIFICATE = "deed", _("property certificate")  # 房产证 / 不动产权证书
    LEASE = "lease", _("lease contract")  # 租赁合同
    OTHER = "other", _("other proof of residence")  # e.g. 购房合同, 户口簿


class DwellingEvidence(models.Model):
    """A photo or scan a resident attached to a pending home link, AES-256-GCM encrypted at rest
    (``content``: key id, nonce, ciphertext and tag, bound to the link and this row's kind). Only
    staff who may decide the link open it (each view audited); it is deleted when the link is
    decided or withdrawn."""

    link = models.ForeignKey(DwellingLink, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind of proof"), max_length=10, choices=EvidenceKind.choices)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"evidence {self.pk} for link {self.link_id}"

    @property
    def encryption_context(self) -> str:
        return f"accounts.dwellingevidence:{self.link_id}:{self.kind}"


class VerificationLetter(models.Model):
    """A one-time code printed on a letter delivered to a dwelling by the community."""

    dwelling = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="verification_letters")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"letter for {self.dwelling_id}"


class LoginCode(models.Model):
    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"login code {self.pk}"


class UserSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_activity_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="session_user_open_idx")]

    def __str__(self) -> str:
        return f"session of {self.user_id}"


class StaffTOTPDevice(ThrottlingMixin, Device):
    """TOTP (RFC 6238, 30 s, 6 digits) with the seed encrypted at rest, single use (``last_t``)
    and django-otp's exponential throttling after failures."""

    encrypted_key = EncryptedTextField(category="secret")
    last_t = models.BigIntegerField(default=-1)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    def get_throttle_factor(self) -> int:
        return 1

    @property
    def bin_key(self) -> bytes:
        return bytes.fromhex(self.encrypted_key)

    def verify_token(self, token: Any) -> bool:
        verify_allowed, _ = self.verify_is_allowed()
        if not verify_allowed:
            return False
        text = str(token).strip()
        if not (text.isdigit() and len(text) == 6):
            self.throttle_increment()
            return False
        current_t = int(timezone.now().timestamp()) // 30
        for candidate_t in (current_t, current_t - 1, current_t + 1):
            if candidate_t > self.last_t and _token_at(self.bin_key, candidate_t) == int(text):
                self.last_t = candidate_t
                self.throttle_reset(commit=False)
                self.save(update_fields=["last_t", "throttling_failure_timestamp", "throttling_failure_count"])
                return True
        self.throttle_increment()
        return False


def _token_at(key: bytes, t: int) -> int:
    from django_otp.oath import hotp

    return hotp(key, t, digits=6)


class ApiToken(models.Model):
    """A machine-client token ``lnl_<prefix>_<secret>``; only SHA-256 of the secret is stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} (lnl_{self.prefix}_…)"


# One-time links (e-mail change confirmation, staff enrolment): defined in their own module.
from linli.accounts.models_links import EmailChangeRequest, StaffEnrolmentLink  # noqa: E402, F401
