"""SMS text shaping, the module manifest and the gateway system checks."""

from __future__ import annotations

from typing import Any

import pytest

from linli.core import registry
from linli.notify import channels, checks
from linli.notify.models import Notification


def test_sms_text_is_title_and_body() -> None:
    assert channels.sms_text(Notification(title="停水通知", body="明天\n上午  停水")) == "停水通知: 明天 上午 停水"
    assert channels.sms_text(Notification(title="停水通知", body="")) == "停水通知"


def test_sms_text_is_cut_at_300_characters() -> None:
    text = channels.sms_text(Notification(title="通知", body="水" * 400))

    assert len(text) == 300
    assert text.startswith("通知: 水")
    assert text.endswith("水…")
    assert channels.sms_text(Notification(title="通", body="水" * 297)) == "通: " + "水" * 297  # exactly 300


def test_manifest_puts_the_inbox_in_everyones_navigation() -> None:
    (module,) = [module for module in registry.modules() if module.name == "notify"]
    (entry,) = module.navigation
    assert (entry.url_name, entry.audience) == ("notify:inbox", "any")
    assert entry in registry.navigation("resident")
    assert entry in registry.navigation("staff")


def test_check_passes_for_the_file_gateway(settings: Any) -> None:
    settings.LINLI_SMS_GATEWAY = "file"
    assert checks.check_sms_gateway() == []


def test_check_refuses_an_unknown_gateway(settings: Any) -> None:
    settings.LINLI_SMS_GATEWAY = "linli.notify.nothing.Gateway"
    assert [message.id for message in checks.check_sms_gateway()] == ["notify.E001"]


def test_check_names_missing_alibaba_cloud_settings(settings: Any) -> None:
    settings.LINLI_SMS_GATEWAY = "aliyun"
    settings.LINLI_SMS_ALIYUN = {
        "endpoint": "https://dysmsapi.aliyuncs.com/",
        "access_key_id": "id",
        "access_key_secret": "",
        "sign_name": "邻里",
        "template_code": "",
    }

    (message,) = checks.check_sms_gateway()

    assert message.id == "notify.E002"
    assert message.hint == "Set LINLI_SMS_ACCESS_KEY_SECRET, LINLI_SMS_TEMPLATE_CODE."


@pytest.mark.parametrize("templates", [{"notification": "SMS_2"}, None])
def test_check_accepts_a_configured_alibaba_cloud(settings: Any, templates: Any) -> None:
    settings.LINLI_SMS_GATEWAY = "aliyun"
    settings.LINLI_SMS_ALIYUN = {
        "endpoint": "https://dysmsapi.aliyuncs.com/",
        "access_key_id": "id",
        "access_key_secret": "secret",
        "sign_name": "邻里",
        "template_code": "" if templates else "SMS_1",
        "templates": templates,
    }
    assert checks.check_sms_gateway() == []
