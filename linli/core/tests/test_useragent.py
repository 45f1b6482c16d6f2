"""Devices are named as people know them: browser and system, never the raw User-Agent header."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from linli.core.useragent import describe

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2183A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/101.0.4951.74 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"
)
MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "english", "chinese"),
    [
        (ANDROID_CHROME, "Chrome · Android", "Chrome · Android"),
        (IPHONE_SAFARI, "Safari · iOS", "Safari · iOS"),
        (WECHAT, "WeChat · Android", "微信 · Android"),
        (WINDOWS_EDGE, "Edge · Windows", "Edge · Windows"),
        (MAC_SAFARI, "Safari · macOS", "Safari · macOS"),
        ("", "Unknown device", "未知设备"),
        ("%%% not a user agent %%%", "Unknown device", "未知设备"),
    ],
)
def test_devices_are_named_by_browser_and_system(user_agent: str, english: str, chinese: str) -> None:
    with translation.override("en"):
        assert describe(user_agent) == english
    with translation.override("zh-hans"):
        assert describe(user_agent) == chinese
        rendered = Template("{% load linli_format %}{{ value|device }}").render(Context({"value": user_agent}))
    assert rendered == chinese
