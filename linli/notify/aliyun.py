"""Alibaba Cloud SMS (阿里云短信服务, ``dysmsapi``) adapter.

Calls ``SendSms`` (API version 2017-05-25) in the RPC style with signature version 1.0:

1. every request parameter except ``Signature`` is percent-encoded (RFC 3986: only ``A-Z a-z 0-9 - _ . ~``
   stay as they are; a space is ``%20``), sorted by name and joined as ``name=value`` with ``&``;
2. the string to sign is ``GET&%2F&`` followed by that canonical query string, percent-encoded again;
3. the signature is Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

Configured from ``settings.LINLI_SMS_ALIYUN`` (``endpoint``, ``access_key_id``, ``access_key_secret``,
``sign_name``, ``template_code`` and optionally ``templates``: a mapping from our template names such as
``login_code`` or ``notification`` to approved Alibaba Cloud template codes). A reply whose ``Code`` is
``OK`` gives ``SmsResult(reference=BizId)``; anything else raises ``SmsError`` carrying the provider's code.
Phone numbers are logged masked only.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from linli.notify.sms import SmsError, SmsResult
from linli.privacy.masking import mask_phone

logger = logging.getLogger(__name__)

API_VERSION = "2017-05-25"
REGION_ID = "cn-hangzhou"
DEFAULT_TIMEOUT_SECONDS = 10.0

# Provider codes worth another try later: throttles and provider-side faults. Everything else (an
# invalid number, an unapproved signature or template, an exhausted balance) fails for good.
RETRYABLE_CODES = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isv.BUSINESS_LIMIT_CONTROL",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)
REQUIRED_SETTINGS = ("endpoint", "access_key_id", "access_key_secret", "sign_name")


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud signs it (``quote`` keeps only unreserved characters)."""
    return quote(value, safe="~")


def canonical_query(parameters: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(parameters[name])}"
        for name in sorted(parameters)
        if name != "Signature"
    )


def string_to_sign(parameters: Mapping[str, str], method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(parameters))}"


def sign(parameters: Mapping[str, str], access_key_secret: str, method: str = "GET") -> str:
    digest = hmac.new(
        f"{access_key_secret}&".encode(), string_to_sign(parameters, method).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def missing_settings(config: Mapping[str, Any]) -> list[str]:
    """Names of required settings that are empty (used by the system check)."""
    missing = [name for name in REQUIRED_SETTINGS if not config.get(name)]
    if not config.get("template_code") and not config.get("templates"):
        missing.append("template_code")
    return missing


class AliyunSmsGateway:
    """Sends text messages through Alibaba Cloud SMS ``SendSms``."""

    def __init__(self, config: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> None:
        self.config: Mapping[str, Any] = config if config is not None else settings.LINLI_SMS_ALIYUN
        configured_timeout: Any = self.config.get("timeout") or DEFAULT_TIMEOUT_SECONDS
        self.timeout = timeout if timeout is not None else float(configured_timeout)

    def template_code(self, template: str) -> str:
        templates: Mapping[str, str] = self.config.get("templates") or {}
        return templates.get(template) or str(self.config.get("template_code", ""))

    def request_parameters(
        self,
        phone: str,
        *,
        template_code: str,
        template_parameters: Mapping[str, str],
        now: datetime.datetime | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The signed query parameters of one ``SendSms`` call."""
        now = now or datetime.datetime.now(datetime.UTC)
        parameters = {
            "AccessKeyId": str(self.config["access_key_id"]),
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": REGION_ID,
            "SignName": str(self.config["sign_name"]),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(dict(template_parameters), ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        parameters["Signature"] = sign(parameters, str(self.config["access_key_secret"]))
        return parameters

    def send(
        self, phone: str, message: str, *, template: str = "", parameters: dict[str, str] | None = None
    ) -> SmsResult:
        missing = missing_settings(self.config)
        if missing:
            raise SmsError("Alibaba Cloud SMS is not configured", code="not_configured")
        template_code = self.template_code(template)
        # Alibaba Cloud only sends approved templates: the free text travels as a template variable
        # when the caller gave no parameters of its own.
        template_parameters = parameters if parameters else {"message": message}
        query = self.request_parameters(phone, template_code=template_code, template_parameters=template_parameters)
        url = f"{self.config['endpoint']}?Signature={percent_encode(query['Signature'])}&{canonical_query(query)}"
        masked = mask_phone(phone)
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
        except httpx.TimeoutException:
            logger.warning("aliyun sms to %s timed out", masked)
            # from None: httpx errors carry the request, whose query holds the phone number.
            raise SmsError("the SMS provider did not answer in time", code="timeout", retryable=True) from None
        except httpx.HTTPError as error:
            logger.warning("aliyun sms to %s failed: %s", masked, type(error).__name__)
            raise SmsError("the SMS provider could not be reached", code="network", retryable=True) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or "Code" not in payload:
            code = f"http_{response.status_code}"
            logger.warning("aliyun sms to %s: unreadable reply (%s)", masked, code)
            raise SmsError(
                "the SMS provider gave an unreadable reply", code=code, retryable=response.status_code >= 500
            )
        code = str(payload.get("Code"))
        if code == "OK":
            reference = str(payload.get("BizId") or payload.get("RequestId") or "")
            logger.info("aliyun sms to %s accepted (%s)", masked, reference)
            return SmsResult(reference=reference)
        logger.warning("aliyun sms to %s refused: %s (request %s)", masked, code, payload.get("RequestId", ""))
        raise SmsError("the SMS provider refused the message", code=code[:80], retryable=code in RETRYABLE_CODES)
