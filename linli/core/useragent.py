"""Name a device from its User-Agent header for people: "Chrome · Android", never the raw string.

Parsing uses ua-parser (the maintained port of the uap-core rules); results are cached per string.
The rules are compiled on the first call in a process (about 0.2 s), then a new string costs about
1 ms and a known one microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ua_parser import parse

# uap-core family names shortened to what people call them.
BROWSER_NAMES = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "HeadlessChrome": "Chrome",
    "MiuiBrowser": "MIUI Browser",
}
SYSTEM_NAMES = {"Mac OS X": "macOS", "Windows": "Windows", "Chrome OS": "ChromeOS"}
# Apps whose built-in browser people know by the app's name (uap-core reports the web view).
APPS = (("MicroMessenger", _("WeChat")), ("AlipayClient", _("Alipay")), ("DingTalk", _("DingTalk")))


@dataclass(frozen=True)
class Device:
    browser: str  # "" when unknown
    system: str  # "" when unknown


@lru_cache(maxsize=512)
def _parse(user_agent: str) -> tuple[str, str, str]:
    """(browser, system, app marker) — language independent, so it can be cached."""
    result = parse(user_agent[:500]) if user_agent else None
    browser = result.user_agent.family if result and result.user_agent else ""
    system = result.os.family if result and result.os else ""
    if browser == "Other":
        browser = ""
    if system == "Other":
        system = ""
    app = next((marker for marker, _name in APPS if marker in user_agent), "")
    return BROWSER_NAMES.get(browser, browser), SYSTEM_NAMES.get(system, system), app


def device(user_agent: str) -> Device:
    browser, system, app = _parse(user_agent or "")
    if app:
        browser = str(dict(APPS)[app])
    return Device(browser=browser, system=system)


def describe(user_agent: str) -> str:
    """ "Chrome · Android"; "Unknown device" when neither the browser nor the system is known."""
    found = device(user_agent)
    parts = [part for part in (found.browser, found.system) if part]
    return " · ".join(parts) if parts else gettext("Unknown device")
