"""E-mail notifications through Django's SMTP backend, received by a local aiosmtpd server."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from linli.notify import actions, channels
from linli.notify.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db

ADDRESS = "lihua@example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recorder:
    """Keeps what the server receives; refuses recipients listed in ``refuse``."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Recorder]:
    recorder = Recorder()
    port = free_port()
    # aiosmtpd logs the cancelled client task from its own thread when the server stops, after
    # pytest has closed the stream Django's console handler writes to: keep that log to itself.
    server_log = logging.getLogger("mail.log")
    server_log.propagate = False
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Linli 邻里 <noreply@linli.example>"
    try:
        yield recorder
    finally:
        controller.stop()
        server_log.propagate = True


def test_email_notification_reaches_the_smtp_server(
    smtp_server: Recorder, resident: Any, django_capture_on_commit_callbacks: Any
) -> None:
    resident.notify_by_email = True
    resident.notify_by_sms = False
    resident.save(update_fields=["notify_by_email", "notify_by_sms"])

    with django_capture_on_commit_callbacks(execute=True):
        notification = actions.do_send_notification(
            resident, title="停水通知：望京街道", body="明天上午9点至12点停水。"
        )

    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == [ADDRESS]
    assert envelope.mail_from == "noreply@linli.example"
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "停水通知：望京街道"
    assert message["To"] == ADDRESS
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content().strip() == "明天上午9点至12点停水。"
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.provider_reference == message["Message-ID"]
    assert delivery.provider_reference.endswith("@linli.example>")


def test_refused_recipient_fails_for_good_without_the_address(smtp_server: Recorder, resident: Any) -> None:
    smtp_server.refuse.add(ADDRESS)
    delivery = actions.do_send_notification(resident, title="通知", body="正文", channels=["email"]).deliveries.get()

    assert actions.do_deliver(delivery.id, final_attempt=False) == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "email:recipient_refused")
    assert smtp_server.envelopes == []


def test_unreachable_mail_server_is_retried(settings: Any, resident: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    delivery = actions.do_send_notification(resident, title="通知", body="正文", channels=["email"]).deliveries.get()

    with pytest.raises(actions.DeliveryRetry):
        actions.do_deliver(delivery.id, final_attempt=False)

    delivery = Delivery.objects.get(id=delivery.id)
    assert (delivery.status, delivery.last_error) == ("queued", "email:ConnectionRefusedError")


def test_external_links_are_added_to_the_email_body(resident: Any) -> None:
    notification = actions.do_send_notification(resident, title="通知", body="正文", url="/notifications/")
    assert channels.email_message(notification, ADDRESS).body == "正文"

    notification.url = "https://linli.example/notifications/"
    assert channels.email_message(notification, ADDRESS).body == "正文\n\nhttps://linli.example/notifications/"
