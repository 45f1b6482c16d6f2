"""System checks for the notification channels: a configured SMS gateway must load, and the Alibaba
Cloud adapter needs its credentials, signature and template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

from linli.notify.aliyun import missing_settings
from linli.notify.sms import GATEWAYS

ALIYUN_ENVIRONMENT = {
    "endpoint": "LINLI_SMS_ENDPOINT",
    "access_key_id": "LINLI_SMS_ACCESS_KEY_ID",
    "access_key_secret": "LINLI_SMS_ACCESS_KEY_SECRET",
    "sign_name": "LINLI_SMS_SIGN_NAME",
    "template_code": "LINLI_SMS_TEMPLATE_CODE",
}


@register("linli")
def check_sms_gateway(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    name = settings.LINLI_SMS_GATEWAY
    path = GATEWAYS.get(name, name)
    try:
        import_string(path)
    except ImportError:
        return [
            Error(
                f"LINLI_SMS_GATEWAY={name!r} does not name an SMS gateway.",
                hint=f"Use one of {', '.join(sorted(GATEWAYS))} or a dotted path to a gateway class.",
                id="notify.E001",
            )
        ]
    if name == "aliyun":
        missing = missing_settings(settings.LINLI_SMS_ALIYUN)
        if missing:
            variables = ", ".join(ALIYUN_ENVIRONMENT.get(item, item) for item in missing)
            return [
                Error(
                    "The Alibaba Cloud SMS gateway is selected but not configured.",
                    hint=f"Set {variables}.",
                    id="notify.E002",
                )
            ]
    return []
