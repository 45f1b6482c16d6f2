"""SMS gateways behind one interface. The default ``FileGateway`` appends each message to
``data/sms-outbox.jsonl`` (readable at /dev/sms/ in demo mode only); production configures a real
provider adapter with ``LINLI_SMS_GATEWAY``."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The gateway refused or failed to take the message.

    ``code`` is the provider's error code (or ``timeout``/``network``/``http_<status>``) and never
    carries the phone number or the message; ``retryable`` says whether trying again later can help
    (a timeout or a provider-side throttle) or not (an invalid number, a missing template)."""

    def __init__(self, message: str = "", *, code: str = "error", retryable: bool = False) -> None:
        super().__init__(message or code)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class SmsResult:
    reference: str


class SmsGateway(Protocol):
    def send(
        self, phone: str, message: str, *, template: str = "", parameters: dict[str, str] | None = None
    ) -> SmsResult: ...


_file_lock = threading.Lock()


class FileGateway:
    """Writes messages to a local JSON-lines file instead of sending them."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or settings.LINLI_SMS_OUTBOX)

    def send(
        self, phone: str, message: str, *, template: str = "", parameters: dict[str, str] | None = None
    ) -> SmsResult:
        sent_at = timezone.now().isoformat()
        record = {"sent_at": sent_at, "phone": phone, "message": message, "template": template}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock:
            # Owner-only (0600) even when created by a process without Linli's umask.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with open(descriptor, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return SmsResult(reference=f"file:{sent_at}")

    def read_recent(self, limit: int = 50) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()[-limit:]
        return [json.loads(line) for line in reversed(lines) if line.strip()]


GATEWAYS = {"file": "linli.notify.sms.FileGateway", "aliyun": "linli.notify.aliyun.AliyunSmsGateway"}


def get_gateway() -> SmsGateway:
    """The configured gateway: a short name from ``GATEWAYS`` or a dotted path to a class."""
    name = settings.LINLI_SMS_GATEWAY
    gateway_class = import_string(GATEWAYS.get(name, name))
    return gateway_class()  # type: ignore[no-any-return]
