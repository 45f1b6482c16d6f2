"""One-time links of the accounts app (imported by ``linli.accounts.models``).

* ``EmailChangeRequest``: a change of an account's e-mail address, made only when the owner opens
  the confirmation link sent to the new address (issue 5, finding 1).
* ``StaffEnrolmentLink``: permission to enrol the first (or a replacement) TOTP authenticator of a
  staff account, issued by a system administrator (issue 5, finding 7).

Both store only a SHA-256 digest of the random secret in the link, never the link itself, and are
single use and expiring.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.privacy.fields import EncryptedTextField
from linli.privacy.inventory import Category, LegalBasis, PersonalField, declare


class EmailChangeRequest(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    new_email = EncryptedTextField(category="contact")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)  # superseded by a newer request

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"e-mail change of {self.user_id}"


class StaffEnrolmentLink(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # None: the operator's console command
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)  # superseded by a newer link

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "used_at"], name="enrolment_link_user_idx")]

    def __str__(self) -> str:
        return f"enrolment link for {self.user_id}"


declare(
    PersonalField(
        "accounts.emailchangerequest",
        "new_email",
        Category.CONTACT,
        LegalBasis.CONSENT,
        _("until the owner's next change request, or the account's deletion"),
        _("confirming a new e-mail address of the account"),
    )
)
