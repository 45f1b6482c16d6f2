"""Audit events (审计日志, SECURITY.md C1–C6).

Rows are never updated or deleted: the model refuses it and database triggers (migrations 0002,
0004 and 0006, defined in ``triggers.py``) refuse it for raw SQL too. Each row's ``hash`` is
HMAC-SHA256, under ``settings.LINLI_AUDIT_CHAIN_KEY`` (kept with the data-encryption keys, outside
the database), over the previous row's hash and this row's canonical content, so an edit anywhere
breaks the chain from that row on, and someone holding only the database cannot compute the hashes
of a rewritten chain. ``linli audit verify`` names the first broken row. Rows written before the
chain was keyed (ids below ``AuditChainHead.keyed_from``) keep their plain SHA-256 hashes; the
head's ``keyed_seal`` (an HMAC of ``keyed_from``) stops anyone without the key from moving that
boundary to pass a rewritten chain off as unkeyed. See docs/decisions/0008-audit-chain.md.

Retention (C6): rows are kept for at least ``settings.LINLI_AUDIT_RETENTION_DAYS`` days, which the
settings refuse to set below 184 (Cybersecurity Law art. 21: network logs kept at least six
months; see ``linli.core.environment.check_production_safety``). The application never deletes
audit rows — there is no purge job and the triggers refuse deletion. Archiving rows older than the
retention period is an operator's decision, taken outside the application (export, then a
database-administrator procedure that drops the triggers), and it is itself detected by
``linli audit verify`` as missing rows unless the chain is re-anchored.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64
KEYING_SEAL_CONTEXT = b"linli-audit-chain-keyed-from\x00"


def chain_key() -> bytes:
    key = bytes(getattr(settings, "LINLI_AUDIT_CHAIN_KEY", b""))
    if len(key) != 32:
        raise RuntimeError("LINLI_AUDIT_CHAIN_KEY must be 32 bytes")
    return key


def keying_seal(keyed_from: int) -> str:
    """HMAC of the first keyed event id: the boundary between unkeyed and keyed rows cannot be
    moved without the chain key."""
    return hmac.new(chain_key(), KEYING_SEAL_CONTEXT + str(int(keyed_from)).encode(), hashlib.sha256).hexdigest()


class Outcome(models.TextChoices):
    SUCCESS = "success", _("success")
    FAILURE = "failure", _("failure")
    DENIED = "denied", _("denied")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=40, blank=True)
    area_id = models.BigIntegerField(null=True, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, default="web")
    event_type = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_label", "-id"], name="audit_actor_label_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or not kwargs.get("force_insert"):
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit events are append-only")

    def canonical_content(self) -> bytes:
        """The row's content as canonical JSON: sorted keys, no whitespace, UTF-8. Stable across
        SQLite and PostgreSQL (``detail`` holds only strings, integers, booleans, lists and
        objects; ``record_event`` turns anything else into a string)."""
        content = {
            "id": self.pk,
            "created_at": self.created_at.astimezone(datetime.UTC).isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "actor_role": self.actor_role,
            "area_id": self.area_id,
            "source_ip": self.source_ip,
            "request_id": self.request_id,
            "source": self.source,
            "event_type": self.event_type,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "outcome": self.outcome,
            "detail": self.detail,
        }
        return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def compute_hash(self, *, keyed: bool = True) -> str:
        """HMAC-SHA256 under the chain key (plain SHA-256 for rows from before the chain was keyed,
        ``keyed=False``) over the previous row's hash followed by this row's canonical content."""
        message = self.previous_hash.encode() + self.canonical_content()
        if keyed:
            return hmac.new(chain_key(), message, hashlib.sha256).hexdigest()
        return hashlib.sha256(message).hexdigest()


class AuditChainHead(models.Model):
    """One row, locked by every append, so chain positions are assigned one at a time on
    PostgreSQL as well as on SQLite. Triggers let it only advance by one event at a time, to an
    event that exists and links to the previous head (``triggers.py``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # Events from this id on are HMAC-keyed; earlier ones (written before migration 0005) are not.
    keyed_from = models.BigIntegerField(default=1)
    keyed_seal = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"chain head at #{self.last_event_id}"
