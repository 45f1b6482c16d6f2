"""Channel senders: how one notification leaves the platform by SMS or e-mail.

The in-app channel needs no sender: the ``Notification`` row is the inbox entry. Each sender returns
the provider's reference and raises ``DeliveryError`` with a code that carries no personal data
(never the phone number, the address or the message) and says whether another try can help.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage

from linli.notify.models import Notification
from linli.notify.sms import SmsError, get_gateway

SMS_MAX_CHARACTERS = 300
SMS_TEMPLATE = "notification"


class DeliveryError(Exception):
    """A channel could not deliver. ``code`` is safe to store and log. Raised ``from None``: the
    provider's own exception can quote the address or the request, and must not reach a log."""

    def __init__(self, code: str, *, retryable: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sms_text(notification: Notification) -> str:
    """Title and body, at most 300 characters."""
    body = " ".join(notification.body.split())
    text = f"{notification.title}: {body}" if body else notification.title
    return truncate(text, SMS_MAX_CHARACTERS)


def send_sms(notification: Notification, phone: str) -> str:
    text = sms_text(notification)
    parameters = {"title": truncate(notification.title, 35), "message": text}
    try:
        result = get_gateway().send(phone, text, template=SMS_TEMPLATE, parameters=parameters)
    except SmsError as error:
        raise DeliveryError(f"sms:{error.code}", retryable=error.retryable) from None
    except OSError as error:  # the file gateway's disk, a socket below a gateway
        raise DeliveryError(f"sms:{type(error).__name__}", retryable=True) from None
    return result.reference


def _message_id_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "linli.localhost"


def email_message(notification: Notification, address: str) -> EmailMessage:
    subject = " ".join(notification.title.split())
    body = notification.body
    if notification.url.startswith(("http://", "https://")):
        body = f"{body}\n\n{notification.url}"
    message_id = make_msgid(domain=_message_id_domain())
    return EmailMessage(
        subject=subject,
        body=body,
        to=[address],
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )


def send_email(notification: Notification, address: str) -> str:
    message = email_message(notification, address)
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("email:recipient_refused", retryable=False) from None
    except smtplib.SMTPResponseException as error:
        # 5xx answers are permanent, 4xx ask to try again later.
        raise DeliveryError(f"email:smtp_{error.smtp_code}", retryable=error.smtp_code < 500) from None
    except OSError as error:  # refused connection, timeout, dropped connection (smtplib errors are OSErrors)
        raise DeliveryError(f"email:{type(error).__name__}", retryable=True) from None
    return str(message.extra_headers["Message-ID"])[:100]
