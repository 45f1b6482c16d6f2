"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Covers sign-in as a resident (phone + SMS code) and as staff (password + TOTP, and first-time TOTP
enrolment with the QR code), the English switch and elderly mode, axe-core on every page visited
(no serious or critical violation), 360 px phones (every list page of ``list_pages.py``: no sideways
scrolling, the whole menu reachable), htmx form errors and failed requests, CJK fonts, the keyboard
skip link, the installable web app and its offline page.

The harness (Chromium, ``open_browser``, ``BrowserSession``, axe-core) is ``linli/testing_browser.py``:
without /usr/bin/chromium these tests are skipped with a message; under ``CI=true`` they fail.
Screenshots go to ``$LINLI_SCREENSHOT_DIR`` when set, else to a pytest temporary folder.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test.signals import template_rendered
from django_otp.oath import hotp

from linli import testing
from linli.accounts.actions.login import phone_index
from linli.accounts.models import (
    ApiToken,
    DwellingLink,
    DwellingLinkStatus,
    Role,
    RoleAssignment,
    StaffTOTPDevice,
    User,
)
from linli.notify.actions import do_send_notification
from linli.testing_browser import PHONE_WIDTH, BrowserSession, Page
from linli.web.tests.list_pages import LIST_PAGES, NOT_WALKED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def last_code_sent_to(phone: str) -> str:
    outbox = Path(settings.LINLI_SMS_OUTBOX)
    records = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    messages = [record["message"] for record in records if record["phone"] == phone]
    assert messages, f"no SMS to {phone}"
    match = re.search(r"\b(\d{6})\b", messages[-1])
    assert match is not None
    return match.group(1)


def root_font_size(page: Page) -> float:
    return float(page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def switch_to_english_and_elderly_mode(session: BrowserSession) -> None:
    page = session.page
    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    standard_size = root_font_size(page)
    large_text = page.locator("button[name=elderly_mode][value='1']")
    assert large_text.inner_text() == "Large text"
    large_text.click()
    page.wait_for_selector("html.elderly")
    assert root_font_size(page) > standard_size
    assert page.locator("button[name=elderly_mode][value='0']").inner_text() == "Standard mode"


def staff_password_step(session: BrowserSession, user: User) -> None:
    page = session.page
    session.goto("/accounts/staff-login/")
    session.axe("staff sign-in")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", testing.STAFF_PASSWORD)
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/accounts/second-factor/"))


def test_resident_signs_in_with_a_code_then_switches_to_english_and_elderly_mode(
    open_browser: Callable[..., BrowserSession],
) -> None:
    phone = "13912345678"
    session = open_browser()
    page = session.page

    session.goto("/accounts/login/")
    session.axe("resident sign-in: phone")
    page.fill("input[name=phone]", phone)
    page.click("main form button.primary")
    page.wait_for_selector("input[name=code]")
    session.axe("resident sign-in: code")
    page.fill("input[name=code]", last_code_sent_to(phone))
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/home/$"))
    session.axe("resident home")

    switch_to_english_and_elderly_mode(session)
    assert page.locator("#home-dwelling").inner_text() == "My home"
    assert page.locator("main h1").inner_text().startswith("Hello")
    session.axe("resident home, English, elderly mode")
    resident = User.objects.get(phone_index=phone_index(phone))
    assert (resident.kind, resident.language, resident.elderly_mode) == ("resident", "en", True)

    session.goto("/accounts/")
    assert page.locator("main h1").inner_text() == "My account"
    assert page.locator("html").get_attribute("class") == "elderly"
    session.axe("account page, elderly mode")
    session.goto("/notifications/")
    session.axe("inbox, elderly mode")
    page.click("button[name=elderly_mode][value='0']")
    page.wait_for_selector("html:not(.elderly)")
    session.axe("inbox, English")
    session.assert_clean()


def test_staff_signs_in_with_password_and_totp_then_uses_english_and_elderly_mode(
    open_browser: Callable[..., BrowserSession],
) -> None:
    tree = testing.build_tree()
    staff = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    session = open_browser()
    page = session.page

    staff_password_step(session, staff)
    assert page.locator("figure.qr").count() == 0
    session.axe("second factor")
    page.fill("input[name=code]", testing.totp_now(StaffTOTPDevice.objects.get(user=staff)))
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/workbench/$"))
    session.axe("workbench")

    switch_to_english_and_elderly_mode(session)
    assert page.locator("main h1").inner_text() == "My tasks"
    session.axe("workbench, English, elderly mode")
    session.goto("/accounts/")
    session.axe("staff account page, elderly mode")
    session.assert_clean()


def test_staff_without_a_device_enrols_totp_with_the_qr_code(open_browser: Callable[..., BrowserSession]) -> None:
    tree = testing.build_tree()
    staff = testing.make_staff(Role.GRID_WORKER, tree.grid_a2)
    StaffTOTPDevice.objects.filter(user=staff).delete()
    session = open_browser()
    page = session.page

    # without an enrolment link, the password alone does not enrol (issue 5 finding 7)
    staff_password_step(session, staff)
    assert page.locator("figure.qr svg").count() == 0
    assert page.locator("input[name=link]").count() == 1
    session.axe("TOTP enrolment: ask for an enrolment link")
    page.click("main form + form button")  # cancel and sign out

    from linli.accounts.actions.enrolment import enrolment_path, issue_for_operator

    session.goto(enrolment_path(issue_for_operator(staff)))  # leads to the staff sign-in
    staff_password_step(session, staff)
    assert page.locator("figure.qr svg").count() == 1
    assert page.locator("figure.qr").get_attribute("role") == "img"
    session.axe("TOTP enrolment")
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{hotp(key, int(time.time()) // 30, digits=6):06d}"
    page.fill("input[name=code]", code)
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/workbench/$"))

    device = StaffTOTPDevice.objects.get(user=staff)
    assert device.confirmed is True
    assert device.bin_key == key
    session.assert_clean()


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_pages_fit_a_360_px_phone(open_browser: Callable[..., BrowserSession], elderly: bool) -> None:
    tree = testing.build_tree()
    resident = testing.make_resident(name="王小明")
    do_send_notification(resident, title="停水通知：花家地社区", body="明天上午9点至12点停水。")  # the messages card
    staff = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    for user in (resident, staff):
        User.objects.filter(pk=user.pk).update(elderly_mode=elderly)
    mode = "elderly" if elderly else "standard"
    pages = {
        None: ["/", "/accounts/login/", "/accounts/staff-login/", "/offline/"],
        resident: ["/home/", "/accounts/", "/notifications/"],
        staff: ["/workbench/", "/accounts/"],
    }
    for user, paths in pages.items():
        session = open_browser(phone=True)
        if user is not None:
            session.sign_in_as(user)
        elif elderly:
            session.set_cookies(linli_elderly="1")
        for path in paths:
            session.goto(path)
            assert session.page.evaluate("() => document.documentElement.classList.contains('elderly')") is elderly
            width = session.page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE_WIDTH, f"{path} is {width} px wide at {PHONE_WIDTH} px ({mode})"
            name = f"{PHONE_WIDTH}-{mode}-{(user.kind if user else 'anonymous')}{path.replace('/', '_')}"
            session.screenshot(name)
            session.axe(f"{name} ({PHONE_WIDTH} px)")
        session.assert_clean()


def test_chinese_text_renders_with_a_cjk_font(open_browser: Callable[..., BrowserSession]) -> None:
    """Asks Chromium which installed font drew the glyphs (without fonts-noto-cjk: boxes)."""
    resident = testing.make_resident(name="王小明")
    session = open_browser()
    session.sign_in_as(resident)
    session.goto("/home/")
    cdp = session.context.new_cdp_session(session.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ("main h1", ".brand-mark"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        families = {font["familyName"] for font in fonts}
        assert any("CJK" in family for family in families), f"{selector} drawn with {families}"
    assert "王小明" in session.page.locator("main h1").inner_text()
    session.screenshot("cjk-resident-home")
    session.assert_clean()


def test_skip_link_is_the_first_tab_stop(open_browser: Callable[..., BrowserSession]) -> None:
    session = open_browser()
    page = session.page
    session.goto("/")
    session.axe("landing page")

    page.keyboard.press("Tab")

    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, href: document.activeElement.getAttribute('href')})"
    )
    assert focused == {"cls": "skip-link", "href": "#main"}
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    assert page.url.endswith("#main")
    session.assert_clean()


def test_axe_harness_reports_a_planted_violation(open_browser: Callable[..., BrowserSession]) -> None:
    """The accessibility checks above would pass vacuously if axe did not run: plant an image
    without a text alternative and a nameless button, and expect axe to fail the page."""
    session = open_browser()
    session.goto("/")
    session.page.evaluate(
        """() => {
          const image = document.createElement('img');
          image.src = '/static/web/icons/icon-192.png';
          const button = document.createElement('button');
          document.querySelector('main').append(image, button);
        }"""
    )

    with pytest.raises(AssertionError) as failure:
        session.axe("landing page with planted violations")

    assert '"id": "image-alt"' in str(failure.value)
    assert '"id": "button-name"' in str(failure.value)
    session.axe_results.pop("landing page with planted violations")


CACHED_URLS = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { found.push([name, new URL(request.url).pathname]); }
  }
  return found;
}"""


def test_installable_web_app_shows_the_offline_page_and_never_stores_pages(
    open_browser: Callable[..., BrowserSession],
) -> None:
    resident = testing.make_resident(name="王小明")
    session = open_browser()
    page = session.page
    session.sign_in_as(resident)

    session.goto("/home/")
    page.wait_for_function("async () => (await navigator.serviceWorker.ready).active.state === 'activated'")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    cdp = session.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's browser contexts are incognito-like, where Chromium never offers installation.
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == []
    script = json.loads(
        re.search(r"^const CONFIG = (\{.*\});$", page.request.get("/service-worker.js").text(), re.MULTILINE).group(1)
    )  # type: ignore[union-attr]

    session.goto("/accounts/")  # more pages with personal data, online
    cached = page.evaluate(CACHED_URLS)
    assert {name for name, _path in cached} == {f"linli-shell-{script['version']}"}
    cached_paths = {path for _name, path in cached}
    assert set(script["precache"]) <= cached_paths
    assert all(path in script["precache"] or path.startswith("/static/") for path in cached_paths)

    session.context.set_offline(True)
    page.goto("/home/")
    assert page.locator("section.offline").count() >= 1
    assert "王小明" not in page.content()
    session.screenshot("offline")  # axe checks /offline/ online in test_pages_fit_a_360_px_phone
    session.context.set_offline(False)
    session.goto("/home/")
    assert "王小明" in page.locator("main h1").inner_text()
    assert {path for _name, path in page.evaluate(CACHED_URLS)} == cached_paths
    # Offline navigation failures are logged by Chromium itself; nothing else may be.
    assert [error for error in session.console_errors if "ERR_INTERNET_DISCONNECTED" not in error] == []
    assert session.failed_requests == []


# --- every list page on a 360 px phone -------------------------------------------------------------

PHONE_LAYOUT = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const outside = (element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && (box.left < 0 || box.right > width + 0.5);
  };
  const describe = (element) => element.tagName.toLowerCase() + (element.className ? "." + element.className : "")
    + " " + (element.textContent || "").trim().slice(0, 30);
  return {
    lang: root.lang,
    elderly: root.classList.contains("elderly"),
    scrollWidth: root.scrollWidth,
    clientWidth: width,
    scrollingBoxes: [...document.querySelectorAll(".table-wrap")]
      .filter((box) => box.scrollWidth > box.clientWidth + 1).map(describe),
    menuOutside: [...document.querySelectorAll(".mainnav a, .top-actions a, .top-actions button")]
      .filter(outside).map(describe),
    menu: [...document.querySelectorAll(".mainnav a")].map((link) => link.textContent.trim()),
    inbox: [...document.querySelectorAll(".top-actions .inbox-link")].filter((link) => !outside(link)).length,
  };
}"""


@pytest.fixture
def django_settings(settings: Any) -> Any:
    """pytest-django's ``settings`` fixture (restored after the test) under a name that does not
    hide ``django.conf.settings`` in this module."""
    return settings


def load_demo_street_with_lists() -> None:
    """The demo street, plus what its lists lack after loading: an issued letter, an API token and
    a message in the demo SMS outbox."""
    from linli.accounts.actions.residents import do_issue_letters
    from linli.areas.models import Area, AreaKind
    from linli.demo.actions import do_load_demo
    from linli.demo.generator import DEFAULT_SEED
    from linli.notify.sms import FileGateway

    do_load_demo(scale="small", seed=DEFAULT_SEED)
    worker = User.objects.get(username="demo-worker")
    community = RoleAssignment.objects.get(user=worker).area
    building = Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community.path).order_by("path").first()
    assert building is not None
    worker.is_verified = lambda: True  # type: ignore[method-assign]  # as after the TOTP step
    do_issue_letters(building, acting_user=worker)
    sysadmin = User.objects.get(username="demo-sysadmin")
    ApiToken.objects.create(
        name="街道大数据平台数据同步（只读）",
        prefix="a1b2c3d4",
        secret_hash="0" * 64,
        owner=sysadmin,
        area=RoleAssignment.objects.get(user=sysadmin).area,
    )
    FileGateway().send(
        "13800000001", "【邻里】您的登录验证码是 123456，5 分钟内有效，请勿告诉他人。", template="login_code"
    )


@pytest.mark.parametrize(
    ("language", "elderly"),
    [("zh-hans", False), ("zh-hans", True), ("en", False), ("en", True)],
    ids=["zh-standard", "zh-elderly", "en-standard", "en-elderly"],
)
def test_every_list_page_fits_a_360_px_phone_with_the_whole_menu_reachable(
    open_browser: Callable[..., BrowserSession], django_settings: Any, language: str, elderly: bool
) -> None:
    django_settings.DEMO_MODE = True  # the demo SMS outbox and authenticator pages
    load_demo_street_with_lists()
    User.objects.update(language=language, elderly_mode=elderly)
    mode = f"{language}-{'elderly' if elderly else 'standard'}"
    sessions: dict[str | None, BrowserSession] = {}
    problems: list[str] = []
    rendered: set[str] = set()

    def record(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.add(template.origin.name if template.origin else "")

    template_rendered.connect(record)
    try:
        walk_list_pages(open_browser, language, elderly, mode, sessions, problems)
    finally:
        template_rendered.disconnect(record)
    assert problems == []
    for session in sessions.values():
        session.assert_clean()
    unwalked = {path for path in list_templates() if path not in rendered} - set(NOT_WALKED)
    assert unwalked == set(), "list pages missing from linli/web/tests/list_pages.py"


def list_templates() -> set[str]:
    """Every template using the list pattern, by file name."""
    return {
        str(path)
        for path in (Path(settings.BASE_DIR) / "linli").glob("*/templates/**/*.html")
        if "list-table" in path.read_text(encoding="utf-8")
    }


def walk_list_pages(
    open_browser: Callable[..., BrowserSession],
    language: str,
    elderly: bool,
    mode: str,
    sessions: dict[str | None, BrowserSession],
    problems: list[str],
) -> None:
    for list_page in LIST_PAGES:
        session = sessions.get(list_page.who)
        if session is None:
            session = open_browser(phone=True)
            if list_page.who is not None:
                session.sign_in_as(User.objects.get(username=list_page.who))
            cookies = {"linli_language": language, "linli_elderly": "1" if elderly else "0"}
            session.set_cookies(**cookies)
            sessions[list_page.who] = session
        path = list_page.url()
        session.goto(path)
        layout = session.page.evaluate(PHONE_LAYOUT)
        assert (layout["lang"], layout["elderly"]) == ("zh-Hans" if language == "zh-hans" else "en", elderly), path
        where = f"{path} as {list_page.who or 'anonymous'} ({mode})"
        if layout["scrollWidth"] > layout["clientWidth"]:
            problems.append(f"{where}: the page is {layout['scrollWidth']} px wide")
        if layout["scrollingBoxes"]:
            problems.append(f"{where}: scrolls sideways inside {layout['scrollingBoxes']}")
        if layout["menuOutside"]:
            problems.append(f"{where}: menu entries off screen: {layout['menuOutside']}")
        if list_page.who is not None:
            messages = "Messages" if language == "en" else "消息"
            if layout["inbox"] != 1 or messages not in layout["menu"]:
                problems.append(f"{where}: Messages not reachable (menu {layout['menu']})")
        name = f"lists-{PHONE_WIDTH}-{mode}-{list_page.who or 'anonymous'}{path.replace('/', '_')}"
        session.screenshot(name)
        session.axe(f"{name} ({PHONE_WIDTH} px)")


# --- htmx forms and failed requests ------------------------------------------------------------------


def test_htmx_form_errors_appear_next_to_the_field_and_failed_requests_are_announced(
    open_browser: Callable[..., BrowserSession],
) -> None:
    tree = testing.build_tree()
    resident = testing.make_resident(phone="13912345678", name="李四")
    link = DwellingLink.objects.create(
        user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path, status=DwellingLinkStatus.PENDING
    )
    staff = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    session = open_browser()
    page = session.page
    session.sign_in_as(staff)
    session.goto(f"/residents/{link.pk}/")

    page.click("#reveal-phone a.button")
    reason = page.locator("#reveal-phone input[name=reason]")
    reason.wait_for()
    help_text = page.locator("#reveal-phone #id_reason_helptext").inner_text()
    assert "至少 4 个字符" in help_text  # the minimum is stated before typing
    assert reason.get_attribute("aria-describedby") == "id_reason_helptext"
    reason.fill("查")
    page.click("#reveal-phone button.primary")
    error = page.locator("#reveal-phone #id_reason_error")
    error.wait_for()

    assert error.get_attribute("role") == "alert"
    assert "4" in error.inner_text()
    assert reason.get_attribute("aria-invalid") == "true"
    assert reason.get_attribute("aria-describedby") == "id_reason_helptext id_reason_error"
    assert page.evaluate("() => document.activeElement.name") == "reason"
    assert page.locator("#request-error").inner_text() == ""
    session.axe("reveal form with an error")
    assert session.failed_requests == [f"422 {session.base_url}/residents/{link.pk}/reveal/phone/"]
    session.failed_requests.clear()

    # Any other failure is announced, not swallowed: a sub-area list that no longer exists (404).
    page.evaluate(
        """() => {
          const button = document.createElement('button');
          button.type = 'button';
          button.id = 'planted';
          button.textContent = 'planted';
          button.setAttribute('hx-get', '/areas/999999999/children/');
          button.setAttribute('hx-target', 'this');
          document.querySelector('main').append(button);
          window.htmx.process(button);
        }"""
    )
    page.click("#planted")
    alert = page.locator("#request-error .message-error")
    alert.wait_for()

    assert page.locator("#request-error").get_attribute("role") == "alert"
    assert alert.inner_text().startswith("未找到：可能已被删除，或不在您的管辖范围内。")
    assert page.locator("#planted").inner_text() == "planted"  # nothing was swapped in
    session.axe("failed htmx request announced")
    page.click("#request-error button")
    assert page.locator("#request-error").inner_text() == ""
    assert [request.split(" ")[0] for request in session.failed_requests] == ["404"]
    session.failed_requests.clear()
    # Chromium logs each failed load and htmx the unswapped error; nothing else may be there.
    assert session.console_errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)",
        "Failed to load resource: the server responded with a status of 404 (Not Found)",
        "Response Status Error Code 404 from /areas/999999999/children/, [object HTMLButtonElement]",
    ]
