"""An SMS gateway for tests: records what it sends and raises the errors a test scripts for it."""

from __future__ import annotations

from typing import ClassVar

from linli.notify.sms import SmsResult

PATH = "linli.notify.tests.gateways.ScriptedGateway"


class ScriptedGateway:
    sent: ClassVar[list[tuple[str, str, str, dict[str, str]]]] = []
    failures: ClassVar[list[BaseException]] = []

    @classmethod
    def reset(cls) -> None:
        cls.sent = []
        cls.failures = []

    def send(
        self, phone: str, message: str, *, template: str = "", parameters: dict[str, str] | None = None
    ) -> SmsResult:
        if ScriptedGateway.failures:
            raise ScriptedGateway.failures.pop(0)
        ScriptedGateway.sent.append((phone, message, template, dict(parameters or {})))
        return SmsResult(reference=f"scripted-{len(ScriptedGateway.sent)}")
