"""Writes about residents and their homes (住户房屋绑定与核验).

A resident account is linked to a dwelling (房屋) only after verification:

* the resident asks for a link (``do_request_dwelling_link``), optionally attaching a photo or scan
  of a 房产证 or 租赁合同 (encrypted at rest, opened only by staff who may decide, each opening
  audited, deleted when the link is decided or withdrawn); staff in scope approve or reject it
  (``do_verify_dwelling_link`` / ``do_reject_dwelling_link``) and may later revoke it;
* or the resident enters the one-time code printed on a verification letter (核验函) that the
  community delivered to the dwelling (``do_link_dwelling_with_letter``): the link is verified at
  once and the letter is used up.

Each action is one transaction with its audit event inside; state transitions lock the row so a
double decision has exactly one winner (SECURITY.md R4).
"""

from __future__ import annotations

import datetime
import hmac
import io
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import (
    DwellingEvidence,
    DwellingLink,
    DwellingLinkMethod,
    DwellingLinkStatus,
    DwellingRelation,
    EvidenceKind,
    User,
    VerificationLetter,
)
from linli.areas.models import Area, AreaKind, within_q
from linli.audit.actions import record_event
from linli.audit.models import Outcome
from linli.core import context, ratelimit
from linli.core.errors import Conflict, PermissionRefused, RateLimited, ValidationFailed
from linli.privacy.crypto import blind_index, decrypt_bytes, encrypt_bytes
from linli.privacy.validators import validate_id_number

# Unambiguous letter-code alphabet: no 0/O, 1/I/L, so a code read aloud or typed from paper works.
LETTER_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LETTER_CODE_LENGTH = 10
LETTER_VALID_DAYS = 30
LETTER_ATTEMPTS_PER_USER = 5
LETTER_ATTEMPTS_PER_IP = 30
LETTER_ATTEMPT_WINDOW_SECONDS = 3600
MAX_LETTERS_PER_BATCH = 500
MIN_REASON_LENGTH = 2
MAX_NAME_LENGTH = 30
VERIFICATION_DAYS = 3  # staff should decide a pending link within three days
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024  # one photo or scan of a 房产证 or 租赁合同
EVIDENCE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


def relation_label(value: str) -> str:
    try:
        return str(DwellingRelation(value).label)
    except ValueError:
        return value


# --- resident identity --------------------------------------------------------------------------


def _clean_identity(user: User, real_name: str, id_number: str, relation: str) -> tuple[str, str, str]:
    name = " ".join((real_name or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(_("Enter your real name."), code="name_required", field="real_name")
    try:
        number = validate_id_number(id_number or "")
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), code="id_number_invalid", field="id_number") from error
    if relation not in DwellingRelation.values:
        raise ValidationFailed(_("Choose how you are related to this home."), code="relation_invalid", field="relation")
    index = blind_index(number, purpose="id_number")
    if (
        user.id_number_index
        and user.id_number_index != index
        and DwellingLink.objects.filter(user_id=user.pk, status=DwellingLinkStatus.VERIFIED).exists()
    ):
        raise ValidationFailed(
            _(
                "This ID number differs from the one already confirmed for your account. Ask your community to correct it."
            ),
            code="id_number_mismatch",
            field="id_number",
        )
    return name, number, index


def _store_identity(user: User, name: str, number: str, index: str) -> None:
    """Save the resident's real name and ID number (encrypted, with its blind index)."""
    user.display_name = name
    user.id_number = number
    user.id_number_index = index
    user.save(update_fields=["display_name", "id_number", "id_number_index"])


def _require_resident(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.is_resident):
        raise PermissionRefused(_("Only resident accounts can link a home."), code="not_resident")


def _require_dwelling(dwelling: Area) -> None:
    if dwelling.kind != AreaKind.DWELLING or not dwelling.is_active:
        raise ValidationFailed(_("Choose your dwelling (flat or house)."), code="dwelling_required", field="dwelling")


# --- evidence: a photo or scan of a 房产证 or 租赁合同 -------------------------------------------


@dataclass(frozen=True)
class EvidenceUpload:
    """An uploaded file, read into memory (at most ``MAX_EVIDENCE_BYTES``)."""

    kind: str
    data: bytes


def _sniffed_type(data: bytes) -> str | None:
    """The type the file's own bytes declare (never the browser's claim or the file name)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _is_whole(content_type: str, data: bytes) -> bool:
    """The file is complete and of the type its first bytes claim: decoded by Pillow when it is
    installed, else checked for the format's end marker."""
    if content_type == "application/pdf":
        return b"%%EOF" in data[-2048:]
    try:
        from PIL import Image
    except ImportError:
        if content_type == "image/jpeg":
            return data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
        if content_type == "image/png":
            return data.endswith(b"IEND\xaeB`\x82")
        return int.from_bytes(data[4:8], "little") + 8 == len(data)  # WebP: the RIFF size
    expected = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                return False
            image.verify()
    except Exception:  # noqa: BLE001 - any decoder failure means "not a valid image"
        return False
    return True


def evidence_content_type(data: bytes) -> str:
    """The content type of an evidence file (JPEG, PNG, WebP or PDF, whole, at most 10 MB), else
    ``ValidationFailed`` on the ``evidence`` field."""
    if not data:
        raise ValidationFailed(_("The file is empty."), code="evidence_empty", field="evidence")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(size)d MB. Take a smaller photo or scan.")
            % {"size": MAX_EVIDENCE_BYTES // (1024 * 1024)},
            code="evidence_too_large",
            field="evidence",
        )
    content_type = _sniffed_type(data)
    if content_type is None or not _is_whole(content_type, data):
        raise ValidationFailed(
            _("Attach a photo (JPEG, PNG or WebP) or a PDF scan."), code="evidence_type", field="evidence"
        )
    return content_type


def _store_evidence(link: DwellingLink, upload: EvidenceUpload, content_type: str) -> DwellingEvidence:
    evidence = DwellingEvidence(link=link, kind=upload.kind, content_type=content_type, size=len(upload.data))
    evidence.content = encrypt_bytes(upload.data, context=evidence.encryption_context)
    evidence.save()
    return evidence


def _delete_evidence(link: DwellingLink) -> int:
    """Delete the evidence of a link that was just decided or withdrawn (inside its transaction)."""
    deleted, _by_model = DwellingEvidence.objects.filter(link_id=link.pk).delete()
    return deleted


def do_open_evidence(evidence: DwellingEvidence, *, acting_user: User) -> bytes:
    """The decrypted file, for staff who may decide its link; every opening is audited."""
    link = evidence.link
    if not acting_user.has_perm("accounts.verify_resident", link):
        raise PermissionRefused(_("You may not decide on this home link."), code="link_forbidden")
    data = decrypt_bytes(bytes(evidence.content), context=evidence.encryption_context)
    with transaction.atomic():
        record_event(
            "resident.evidence_viewed",
            actor=acting_user,
            target=link,
            area_id=link.dwelling_id,
            detail={"evidence_id": evidence.pk, "kind": evidence.kind},
        )
    return data


# --- resident: ask for a link, use a letter, withdraw -------------------------------------------


def do_request_dwelling_link(
    user: User,
    *,
    dwelling: Area,
    real_name: str,
    id_number: str,
    relation: str,
    acting_user: User,
    evidence: EvidenceUpload | None = None,
) -> DwellingLink:
    """A resident asks to be linked to ``dwelling``, optionally with a photo or scan of a 房产证 or
    租赁合同 (stored encrypted until the link is decided); staff in scope verify it later."""
    _require_resident(acting_user)
    if acting_user.pk != user.pk:
        raise PermissionRefused(_("You can only link your own account."), code="not_own_account")
    _require_dwelling(dwelling)
    name, number, index = _clean_identity(user, real_name, id_number, relation)
    content_type = ""
    if evidence is not None:
        if evidence.kind not in EvidenceKind.values:
            raise ValidationFailed(_("Choose what the file shows."), code="evidence_kind", field="evidence_kind")
        content_type = evidence_content_type(evidence.data)
    try:
        with transaction.atomic():
            if DwellingLink.objects.filter(
                user_id=user.pk,
                dwelling_id=dwelling.pk,
                status__in=[DwellingLinkStatus.PENDING, DwellingLinkStatus.VERIFIED],
            ).exists():
                raise _duplicate_link()
            _store_identity(user, name, number, index)
            link = DwellingLink.objects.create(
                user=user,
                dwelling=dwelling,
                area_path=dwelling.path,
                relation=relation,
                status=DwellingLinkStatus.PENDING,
            )
            detail: dict[str, object] = {"relation": relation, "dwelling_id": dwelling.pk}
            if evidence is not None:
                stored = _store_evidence(link, evidence, content_type)
                detail["evidence"] = {"id": stored.pk, "kind": stored.kind, "type": content_type, "size": stored.size}
            record_event("resident.link_requested", actor=acting_user, target=link, area_id=dwelling.pk, detail=detail)
    except IntegrityError as error:  # a concurrent request for the same home won the unique constraint
        raise _duplicate_link() from error
    return link


def _duplicate_link() -> Conflict:
    return Conflict(_("You already have a link to this home that is pending or verified."), code="link_exists")


def normalise_letter_code(code: str) -> str:
    return "".join(char for char in (code or "").upper() if char.isalnum())


def letter_code_hash(code: str) -> str:
    return blind_index(normalise_letter_code(code), purpose="letter_code")


def do_link_dwelling_with_letter(
    user: User, *, code: str, real_name: str, id_number: str, relation: str, acting_user: User
) -> DwellingLink:
    """Verify a link at once with the one-time code of a verification letter.

    The code is single use: the letter row is locked and marked used with a conditional update, so
    of two concurrent uses exactly one wins. Attempts are rate limited per account and per network
    address; every failure is audited (without the code)."""
    _require_resident(acting_user)
    if acting_user.pk != user.pk:
        raise PermissionRefused(_("You can only link your own account."), code="not_own_account")
    name, number, index = _clean_identity(user, real_name, id_number, relation)
    allowed = ratelimit.hit(
        "letter-code-user", str(user.pk), limit=LETTER_ATTEMPTS_PER_USER, window_seconds=LETTER_ATTEMPT_WINDOW_SECONDS
    ) and ratelimit.hit(
        "letter-code-ip",
        context.current().source_ip or "unknown",
        limit=LETTER_ATTEMPTS_PER_IP,
        window_seconds=LETTER_ATTEMPT_WINDOW_SECONDS,
    )
    if not allowed:
        with transaction.atomic():
            record_event(
                "resident.letter_code_failed",
                actor=acting_user,
                target=user,
                outcome=Outcome.DENIED,
                detail={"reason": "rate_limited"},
            )
        raise RateLimited(_("Too many code attempts. Try again in an hour, or ask your community to verify you."))
    normalised = normalise_letter_code(code)
    expected_hash = blind_index(normalised, purpose="letter_code")
    now = timezone.now()
    failure = ""
    try:
        with transaction.atomic():
            letter = (
                VerificationLetter.objects.select_for_update().filter(code_hash=expected_hash).first()
                if len(normalised) == LETTER_CODE_LENGTH
                else None
            )
            dwelling = Area.objects.filter(pk=letter.dwelling_id).first() if letter is not None else None
            if letter is None or dwelling is None or not hmac.compare_digest(letter.code_hash, expected_hash):
                failure = "wrong_code"
            elif letter.used_at is not None:
                failure = "used"
            elif letter.expires_at <= now:
                failure = "expired"
            elif not dwelling.is_active or dwelling.kind != AreaKind.DWELLING:
                failure = "dwelling_inactive"
            else:
                existing = (
                    DwellingLink.objects.select_for_update()
                    .filter(
                        user_id=user.pk,
                        dwelling_id=dwelling.pk,
                        status__in=[DwellingLinkStatus.PENDING, DwellingLinkStatus.VERIFIED],
                    )
                    .first()
                )
                if existing is not None and existing.status == DwellingLinkStatus.VERIFIED:
                    raise Conflict(_("Your account is already linked to this home."), code="link_exists")
                # The row lock serialises concurrent uses on PostgreSQL; the conditional update makes
                # the single use hold on every database: only one transaction sees used_at empty.
                claimed = VerificationLetter.objects.filter(
                    pk=letter.pk, used_at__isnull=True, expires_at__gt=now
                ).update(used_at=now, used_by=user)
                if claimed != 1:
                    failure = "used"
            if failure:
                record_event(
                    "resident.letter_code_failed",
                    actor=acting_user,
                    target=user,
                    outcome=Outcome.FAILURE,
                    detail={"reason": failure},
                )
            else:
                assert letter is not None and dwelling is not None
                _store_identity(user, name, number, index)
                if existing is not None:
                    link = existing
                    link.relation = relation
                else:
                    link = DwellingLink(user=user, dwelling=dwelling, area_path=dwelling.path, relation=relation)
                link.status = DwellingLinkStatus.VERIFIED
                link.method = DwellingLinkMethod.LETTER
                link.decided_at = now
                link.decided_by = None
                link.save()
                evidence_deleted = _delete_evidence(link) if existing is not None else 0
                record_event(
                    "resident.link_verified",
                    actor=acting_user,
                    target=link,
                    area_id=dwelling.pk,
                    detail={
                        "method": "letter",
                        "letter_id": letter.pk,
                        "relation": relation,
                        "evidence_deleted": evidence_deleted,
                    },
                )
    except IntegrityError as error:  # a concurrent request created the same open link
        raise _duplicate_link() from error
    if failure:
        raise ValidationFailed(
            _("This code is wrong, already used or expired."), code="letter_code_invalid", field="code"
        )
    return link


def do_withdraw_dwelling_link(link: DwellingLink, *, acting_user: User) -> DwellingLink:
    """The resident withdraws their own pending request. It is kept, as revoked, decided by the
    resident (that is what marks a withdrawal)."""
    if link.user_id != acting_user.pk:
        raise PermissionRefused(_("You can only withdraw your own request."), code="not_own_link")
    with transaction.atomic():
        locked = DwellingLink.objects.select_for_update().get(pk=link.pk)
        if locked.status != DwellingLinkStatus.PENDING:
            raise Conflict(_("Only a pending request can be withdrawn."), code="link_not_pending")
        locked.status = DwellingLinkStatus.REVOKED
        locked.decided_at = timezone.now()
        locked.decided_by = acting_user  # decided by the resident themselves: a withdrawal
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        record_event(
            "resident.link_withdrawn",
            actor=acting_user,
            target=locked,
            area_id=locked.dwelling_id,
            detail={"evidence_deleted": _delete_evidence(locked)},
        )
    return locked


# --- staff: decide on links ---------------------------------------------------------------------


def _notify(recipient: User, *, kind: str, title: str, body: str, acting_user: User) -> None:
    """Tell the resident (inbox, plus SMS/e-mail by their preferences, sent after commit); inside
    the caller's transaction, so a rolled-back decision tells nobody."""
    from django.urls import reverse

    from linli.notify.actions import do_send_notification

    do_send_notification(
        recipient, title=title, body=body, url=reverse("web:resident_home"), kind=kind, acting_user=acting_user
    )


def _locked_link(link: DwellingLink, *, rule: str, acting_user: User) -> DwellingLink:
    if not acting_user.has_perm(rule, link):
        raise PermissionRefused(_("You may not decide on this home link."), code="link_forbidden")
    return DwellingLink.objects.select_for_update().select_related("user", "dwelling").get(pk=link.pk)


def _clean_reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationFailed(_("Give a reason the resident will understand."), code="reason_required", field="reason")
    return text[:200]


def do_verify_dwelling_link(link: DwellingLink, *, acting_user: User) -> DwellingLink:
    """Staff in scope confirm a pending link; the resident gets an in-app message."""
    with transaction.atomic():
        locked = _locked_link(link, rule="accounts.verify_resident", acting_user=acting_user)
        if locked.status != DwellingLinkStatus.PENDING:
            raise Conflict(_("This request was already decided."), code="link_not_pending")
        locked.status = DwellingLinkStatus.VERIFIED
        locked.method = DwellingLinkMethod.STAFF
        locked.decided_at = timezone.now()
        locked.decided_by = acting_user
        locked.save(update_fields=["status", "method", "decided_at", "decided_by"])
        record_event(
            "resident.link_verified",
            actor=acting_user,
            target=locked,
            area_id=locked.dwelling_id,
            detail={"method": "staff", "evidence_deleted": _delete_evidence(locked)},
        )
        _notify(
            locked.user,
            kind="resident.link_verified",
            title=_("Your home is verified"),
            body=_("Your account is now linked to %(dwelling)s.") % {"dwelling": locked.dwelling.name},
            acting_user=acting_user,
        )
    return locked


def _close_with_reason(
    link: DwellingLink,
    *,
    reason: str,
    acting_user: User,
    expected: str,
    refusal: Conflict,
    new_status: str,
    event: str,
    title: str,
) -> DwellingLink:
    """Move a link from ``expected`` to ``new_status`` (rejected or revoked) with a reason shown
    to the resident: row locked, audited and the resident notified, in one transaction."""
    text = _clean_reason(reason)
    with transaction.atomic():
        locked = _locked_link(link, rule="accounts.verify_resident", acting_user=acting_user)
        if locked.status != expected:
            raise refusal
        locked.status = new_status
        locked.note = text
        locked.decided_at = timezone.now()
        locked.decided_by = acting_user
        locked.save(update_fields=["status", "note", "decided_at", "decided_by"])
        record_event(
            event,
            actor=acting_user,
            target=locked,
            area_id=locked.dwelling_id,
            detail={"reason": text, "evidence_deleted": _delete_evidence(locked)},
        )
        _notify(
            locked.user,
            kind=event,
            title=title,
            body=_("%(dwelling)s: %(reason)s") % {"dwelling": locked.dwelling.name, "reason": text},
            acting_user=acting_user,
        )
    return locked


def do_reject_dwelling_link(link: DwellingLink, *, reason: str, acting_user: User) -> DwellingLink:
    """Staff in scope refuse a pending link, with a reason shown to the resident."""
    return _close_with_reason(
        link,
        reason=reason,
        acting_user=acting_user,
        expected=DwellingLinkStatus.PENDING,
        refusal=Conflict(_("This request was already decided."), code="link_not_pending"),
        new_status=DwellingLinkStatus.REJECTED,
        event="resident.link_rejected",
        title=_("Your home link was not verified"),
    )


def do_revoke_dwelling_link(link: DwellingLink, *, reason: str, acting_user: User) -> DwellingLink:
    """Staff in scope end a verified link (the resident moved out, or it was wrong)."""
    return _close_with_reason(
        link,
        reason=reason,
        acting_user=acting_user,
        expected=DwellingLinkStatus.VERIFIED,
        refusal=Conflict(_("Only a verified link can be revoked."), code="link_not_verified"),
        new_status=DwellingLinkStatus.REVOKED,
        event="resident.link_revoked",
        title=_("Your home link was removed"),
    )


# --- staff: verification letters ----------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLetter:
    """A letter just issued: the code exists in plaintext only here, to be printed once."""

    letter: VerificationLetter
    dwelling: Area
    code: str

    @property
    def grouped_code(self) -> str:
        half = LETTER_CODE_LENGTH // 2
        return f"{self.code[:half]}-{self.code[half:]}"


def new_letter_code() -> str:
    return "".join(secrets.choice(LETTER_CODE_ALPHABET) for _ in range(LETTER_CODE_LENGTH))


def do_issue_letters(area: Area, *, acting_user: User) -> list[IssuedLetter]:
    """Issue one letter per active dwelling in ``area`` (a building, unit or single dwelling),
    valid for 30 days. Only hashes are stored; the codes are returned to be printed once."""
    if area.kind not in (AreaKind.BUILDING, AreaKind.UNIT, AreaKind.DWELLING) or not area.is_active:
        raise ValidationFailed(_("Choose a building, a unit or a dwelling."), code="letter_area_kind", field="area")
    if not acting_user.has_perm("accounts.issue_letter", area):
        raise PermissionRefused(_("You may not issue letters here."), code="letter_forbidden")
    targets = list(
        Area.objects.active()
        .filter(within_q([area.path]), kind=AreaKind.DWELLING)
        .order_by("path")[: MAX_LETTERS_PER_BATCH + 1]
    )
    if not targets:
        raise ValidationFailed(_("There are no dwellings here."), code="letter_no_dwellings", field="area")
    if len(targets) > MAX_LETTERS_PER_BATCH:
        raise ValidationFailed(
            _("At most %(count)d letters at a time. Choose a smaller area.") % {"count": MAX_LETTERS_PER_BATCH},
            code="letter_batch_too_large",
            field="area",
        )
    now = timezone.now()
    expires = now + datetime.timedelta(days=LETTER_VALID_DAYS)
    issued: list[IssuedLetter] = []
    with transaction.atomic():
        letters = []
        for dwelling in targets:
            code = new_letter_code()
            letter = VerificationLetter(
                dwelling=dwelling,
                code_hash=letter_code_hash(code),
                issued_by=acting_user,
                issued_at=now,
                expires_at=expires,
            )
            letters.append(letter)
            issued.append(IssuedLetter(letter=letter, dwelling=dwelling, code=code))
        VerificationLetter.objects.bulk_create(letters)
        record_event(
            "resident.letters_issued",
            actor=acting_user,
            target=area,
            area_id=area.pk,
            detail={"count": len(letters), "expires_days": LETTER_VALID_DAYS},
        )
    return issued
