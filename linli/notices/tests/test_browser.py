"""Browser test: a community worker publishes a notice through the form, a resident of the grid
reads it (the read receipt), staff see the count; every page under axe, on a desktop and on a
360 px phone in elderly mode, without sideways scrolling. Uses the Playwright harness of
``linli/testing_browser.py``."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from linli import testing
from linli.accounts.models import DwellingLink, Role, User
from linli.notices.models import Notice, NoticeReceipt
from linli.testing_browser import PHONE_WIDTH, BrowserSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_phone(session: BrowserSession, label: str) -> None:
    width = session.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{label} is {width} px wide at {PHONE_WIDTH} px"
    session.axe(f"{label} ({PHONE_WIDTH} px)")


def test_publish_and_read_a_notice(open_browser: Callable[..., BrowserSession]) -> None:
    tree = testing.build_tree()
    worker = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    resident = testing.make_resident(name="王小明")
    DwellingLink.objects.create(
        user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path, status="verified"
    )

    staff = open_browser()
    staff.sign_in_as(worker)
    staff.goto("/notices/new/")
    staff.axe("publish a notice")
    page = staff.page
    page.click("main form button.primary")  # empty: errors next to the fields
    page.wait_for_selector("#id_title ~ ul.errorlist, .field:has(#id_title) .errorlist")
    staff.axe("publish a notice, errors")
    # The refused form answers 422 on purpose; nothing else may have failed.
    assert [request.split(" ")[0] for request in staff.failed_requests] == ["422"]
    staff.failed_requests.clear()
    staff.console_errors = [error for error in staff.console_errors if "422" not in error]
    page.select_option("#id_area", str(tree.grid_a1.pk))
    page.fill("#id_title", "周六上午停水")
    page.fill("#id_body", "周六 8:00–12:00 停水。\n请提前储水。")
    page.check("input[name=urgency][value=important]")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/notices/\d+/$"))
    notice = Notice.objects.get()
    assert (notice.area_id, notice.urgency, notice.recipient_count) == (tree.grid_a1.pk, "important", 1)
    staff.axe("notice, staff view")
    assert "1 位居民中已有 0 位阅读（0%）。" in page.locator("main").inner_text()

    phone = open_browser(phone=True)
    User.objects.filter(pk=resident.pk).update(elderly_mode=True)
    phone.sign_in_as(resident)
    phone.goto("/home/")
    assert phone.page.locator("#home-notices").count() == 1
    _fits_phone(phone, "resident home with notices, elderly")
    phone.page.click("#home-notices + ul a")
    phone.page.wait_for_url(re.compile(rf"/notices/{notice.pk}/$"))
    assert "请提前储水" in phone.page.locator(".notice-body").inner_text()
    _fits_phone(phone, "notice, resident, elderly")
    assert NoticeReceipt.objects.get(notice=notice, user=resident).read_at is not None
    phone.goto("/notices/")
    _fits_phone(phone, "my notices, elderly")
    phone.goto(f"/notices/board/{tree.community_a.pk}/")
    _fits_phone(phone, "community notice board, elderly")

    staff.page.reload()
    text = staff.page.locator("main").inner_text()
    assert "1 位居民中已有 1 位阅读（100%）。" in text
    staff_phone = open_browser(phone=True)
    staff_phone.sign_in_as(worker)
    for path in ("/notices/staff/", f"/notices/{notice.pk}/", "/notices/new/"):
        staff_phone.goto(path)
        _fits_phone(staff_phone, f"staff {path}")
    for session in (staff, phone, staff_phone):
        session.assert_clean()
