"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint states "the chain had ``count`` events and the last one hashed to ``head``", with the
time and an HMAC-SHA256 signature under a key derived from ``LINLI_AUDIT_CHAIN_KEY``. Checkpoints are
appended, one JSON object per line, to ``settings.LINLI_AUDIT_CHECKPOINT_FILE`` (opened with
``O_APPEND``, mode 0600) and sent to the audit administrators' inboxes (``actions.do_write_checkpoint``,
run by the jobs in ``tasks.py``). ``linli audit verify --checkpoint FILE`` then fails when the
database no longer holds a checkpointed state: event ``count`` must still exist with hash ``head``.
Since every hash covers all earlier events, that also pins every event before it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from linli.audit.models import GENESIS_HASH, AuditEvent, chain_key

VERSION = 1
SIGNING_CONTEXT = b"linli-audit-checkpoint-signing-key"
FIELDS = ("version", "count", "head", "created_at")


@dataclass(frozen=True)
class Checkpoint:
    count: int
    head: str
    created_at: str  # ISO 8601 with its offset (Beijing time)
    signature: str = ""
    version: int = VERSION

    def payload(self) -> bytes:
        content = {"version": self.version, "count": self.count, "head": self.head, "created_at": self.created_at}
        return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def signed(self) -> Checkpoint:
        return Checkpoint(self.count, self.head, self.created_at, sign(self.payload()), self.version)

    def signature_valid(self) -> bool:
        return hmac.compare_digest(self.signature, sign(self.payload()))

    def line(self) -> str:
        content = {
            "version": self.version,
            "count": self.count,
            "head": self.head,
            "created_at": self.created_at,
            "signature": self.signature,
        }
        return json.dumps(content, sort_keys=True, separators=(",", ":"))


def _signing_key() -> bytes:
    """A key of its own for checkpoints, derived from the chain key (one secret to keep)."""
    return hmac.new(chain_key(), SIGNING_CONTEXT, hashlib.sha256).digest()


def sign(payload: bytes) -> str:
    return hmac.new(_signing_key(), payload, hashlib.sha256).hexdigest()


def parse(line: str) -> Checkpoint:
    """One line of a checkpoint file; ``ValueError`` when it is not a checkpoint."""
    try:
        content: Any = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError("not JSON") from error
    if not isinstance(content, dict) or set(content) != {*FIELDS, "signature"}:
        raise ValueError("not a checkpoint")
    count, head, created_at, signature = (content[k] for k in ("count", "head", "created_at", "signature"))
    if content["version"] != VERSION or not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError("not a checkpoint")
    if not all(isinstance(value, str) for value in (head, created_at, signature)):
        raise ValueError("not a checkpoint")
    return Checkpoint(count=count, head=head, created_at=created_at, signature=signature)


def append(checkpoint: Checkpoint, path: Path | None = None) -> Path:
    """Append one signed line. The file is opened ``O_APPEND`` (lines already written are never
    rewritten by the application; make it append-only on the host too, e.g. ``chattr +a``) and
    created readable by the owner only."""
    target = Path(path or settings.LINLI_AUDIT_CHECKPOINT_FILE)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (checkpoint.line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def last_valid(path: Path | None = None) -> Checkpoint | None:
    """The newest correctly signed checkpoint in the file, or ``None``."""
    target = Path(path or settings.LINLI_AUDIT_CHECKPOINT_FILE)
    if not target.exists():
        return None
    latest = None
    with target.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                checkpoint = parse(raw)
            except ValueError:
                continue
            if checkpoint.signature_valid():
                latest = checkpoint
    return latest


@dataclass(frozen=True)
class CheckpointFinding:
    line_number: int
    checkpoint: Checkpoint | None
    reason: str

    def describe(self, path: Path) -> str:
        if self.checkpoint is None:
            return f"checkpoint at {path}:{self.line_number}: {self.reason}"
        return (
            f"checkpoint at {path}:{self.line_number} ({self.checkpoint.created_at}, "
            f"{self.checkpoint.count} events, head {self.checkpoint.head[:16]}…): {self.reason}"
        )


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    findings: list[CheckpointFinding]
    latest: Checkpoint | None

    @property
    def ok(self) -> bool:
        return not self.findings and self.checked > 0


def check_state(checkpoint: Checkpoint) -> str:
    """Empty when the database still holds the checkpointed state, else why not."""
    if checkpoint.count == 0:
        return "" if checkpoint.head == GENESIS_HASH else "an empty chain cannot have that head"
    stored = AuditEvent.objects.filter(id=checkpoint.count).values_list("hash", flat=True).first()
    if stored is None:
        return f"event {checkpoint.count} is missing from the database"
    if not hmac.compare_digest(stored, checkpoint.head):
        return f"event {checkpoint.count} no longer has the checkpointed hash (the chain was rewritten)"
    return ""


def verify_file(path: Path) -> CheckpointReport:
    """Check every line's signature and that the database still holds each checkpointed state."""
    findings: list[CheckpointFinding] = []
    checked = 0
    latest = None
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                checkpoint = parse(raw)
            except ValueError:
                findings.append(CheckpointFinding(number, None, "the line is not a checkpoint"))
                continue
            checked += 1
            if not checkpoint.signature_valid():
                findings.append(
                    CheckpointFinding(number, checkpoint, "its signature does not match (forged, or another key)")
                )
                continue
            reason = check_state(checkpoint)
            if reason:
                findings.append(CheckpointFinding(number, checkpoint, reason))
            latest = checkpoint
    return CheckpointReport(checked=checked, findings=findings, latest=latest)
