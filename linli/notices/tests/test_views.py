"""Pages of community notices: publishing through the form (errors next to the field, uploads), the
resident's list and notice page (the read receipt), the staff list and detail with read counts per
grid, correct / withdraw / remind, the public board (no personal data) and the files' headers.
List pages pin their query counts (the same at 10 and 50 rows)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.notices import actions
from linli.notices.models import Notice, NoticeAttachment, NoticeReceipt, NoticeStatus
from linli.notices.tests import samples
from linli.notices.tests.conftest import World, publish, verified
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def field_errors(response: Any, field: str) -> list[str]:
    """Errors rendered inside the field's own block (next to the field)."""
    text = response.content.decode()
    match = re.search(rf'id="id_{field}(?:_0)?".*?(<ul class="errorlist"[^>]*>(.*?)</ul>)', text, re.S)
    if match is None:
        return []
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", match.group(2), re.S)]


def form_data(area: Any, **extra: Any) -> dict[str, Any]:
    data = {"area": area.pk, "title": "停水通知", "body": "周六停水。\n请储水。", "urgency": "normal", "when": "now"}
    data.update(extra)
    return data


# --- publishing ---------------------------------------------------------------------------------------


def test_publish_form_publishes_to_the_chosen_grid(world: World) -> None:
    client = world.client(world.grid_worker_a1)
    page = client.get("/notices/new/")
    assert page.status_code == 200
    options = re.findall(r'<option value="(\d+)"', page.content.decode())
    assert options == [str(world.tree.grid_a1.pk), str(world.building_a1.parent_id)]

    response = client.post("/notices/new/", form_data(world.tree.grid_a1))
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notices/{notice.pk}/"
    assert (notice.area_id, notice.recipient_count, notice.created_by_id) == (
        world.tree.grid_a1.pk,
        2,
        world.grid_worker_a1.pk,
    )


def test_publish_to_one_building_of_an_estate(world: World) -> None:
    estate = world.building_a1.parent
    client = world.client(world.grid_worker_a1)
    fragment = client.get(f"/notices/new/buildings/?area={estate.pk}", HTTP_HX_REQUEST="true")
    assert f'value="{world.building_a1.pk}"' in fragment.content.decode()
    response = client.post("/notices/new/", form_data(estate, building=world.building_a1.pk))
    assert response.status_code == 302
    assert Notice.objects.get().area_id == world.building_a1.pk


def test_publish_errors_are_shown_next_to_the_field_and_nothing_is_sent(world: World) -> None:
    client = world.client(world.grid_worker_a1)
    response = client.post("/notices/new/", form_data(world.tree.grid_a1, title="", when="later"))
    assert response.status_code == 422
    assert field_errors(response, "title") == ["This field is required."]
    assert field_errors(response, "publish_at") == ["Choose the date and time of publication."]
    upload = SimpleUploadedFile("photo.jpg", samples.html_as_jpeg(), content_type="image/jpeg")
    response = client.post("/notices/new/", {**form_data(world.tree.grid_a1), "attachments": [upload]})
    assert response.status_code == 422
    assert field_errors(response, "attachments") == [
        "photo.jpg is not an accepted file: images must be JPEG or PNG, documents PDF, Word (.docx) or Excel (.xlsx)."
    ]
    assert (Notice.objects.count(), Notification.objects.count()) == (0, 0)


def test_a_grid_worker_cannot_post_another_grid(world: World) -> None:
    client = world.client(world.grid_worker_a1)
    response = client.post("/notices/new/", form_data(world.tree.grid_b1))
    assert response.status_code == 422
    assert field_errors(response, "area")[0].startswith("Select a valid choice.")
    assert Notice.objects.count() == 0


def test_scheduling_through_the_form_uses_beijing_time(world: World) -> None:
    client = world.client(world.grid_worker_a1)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    response = client.post(
        "/notices/new/", form_data(world.tree.grid_a1, when="later", publish_at=when.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.status, notice.publish_at) == (NoticeStatus.SCHEDULED, when)
    assert str(when.tzinfo) == "Asia/Shanghai"
    assert Notification.objects.count() == 0


def test_uploaded_image_and_document_are_served_with_safe_headers(world: World) -> None:
    client = world.client(world.grid_worker_a1)
    files = [
        SimpleUploadedFile("现场.jpg", samples.jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("名单.pdf", samples.pdf(), content_type="application/pdf"),
    ]
    response = client.post("/notices/new/", {**form_data(world.tree.grid_a1), "attachments": files})
    assert response.status_code == 302
    image = NoticeAttachment.objects.get(kind="image")
    document = NoticeAttachment.objects.get(kind="document")

    anonymous = Client()
    served = anonymous.get(f"/notices/files/{image.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"].startswith("inline;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"GPSLatitude" not in b"".join(served.streaming_content)
    download = anonymous.get(f"/notices/files/{document.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == "attachment; filename*=utf-8''%E5%90%8D%E5%8D%95.pdf"

    notice = Notice.objects.get()
    actions.do_withdraw_notice(notice, reason="有误", acting_user=verified(world.grid_worker_a1))
    assert anonymous.get(f"/notices/files/{image.pk}/").status_code == 404
    assert world.client(world.a1).get(f"/notices/files/{image.pk}/").status_code == 404
    assert world.client(world.grid_worker_b1).get(f"/notices/files/{image.pk}/").status_code == 404
    assert world.client(world.grid_worker_a1).get(f"/notices/files/{image.pk}/").status_code == 200


# --- residents --------------------------------------------------------------------------------------------


def test_opening_the_notice_is_the_read_receipt(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, body="第一行\n<b>第二行</b>")
    client = world.client(world.a1)
    listing = client.get("/notices/")
    assert listing.status_code == 200 and notice.title in listing.content.decode()
    assert "unread" in listing.content.decode()
    page = client.get(f"/notices/{notice.pk}/")
    assert page.status_code == 200
    assert "第一行<br>&lt;b&gt;第二行&lt;/b&gt;" in page.content.decode()
    receipt = NoticeReceipt.objects.get(notice=notice, user=world.a1)
    assert receipt.read_at is not None
    assert Notification.objects.get(pk=receipt.notification_id).read_at is not None
    # Opened from the inbox: the inbox's "Open" marks the entry read and leads to the notice page.
    quiet = world.client(world.a1_quiet)
    entry = Notification.objects.get(recipient=world.a1_quiet, kind="notice")
    opened = quiet.post(f"/notifications/{entry.pk}/read/")
    assert opened["Location"] == f"/notices/{notice.pk}/"


def test_residents_elsewhere_get_404(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1)
    for user in (world.b1, world.pending):
        assert world.client(user).get(f"/notices/{notice.pk}/").status_code == 404
    assert world.client(world.a2).get(f"/notices/{notice.pk}/").status_code == 404
    assert NoticeReceipt.objects.filter(read_at__isnull=False).count() == 0


def test_a_withdrawn_notice_shows_withdrawn_to_its_recipients_without_its_text(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, body="错误的停水时间")
    actions.do_withdraw_notice(notice, reason="时间有误", acting_user=verified(world.grid_worker_a1))
    page = world.client(world.a1).get(f"/notices/{notice.pk}/").content.decode()
    assert "This notice was withdrawn." in page and "时间有误" in page
    assert "错误的停水时间" not in page
    assert 'id="home-notices"' not in world.client(world.a1).get("/home/").content.decode()
    staff_page = world.client(world.grid_worker_a1).get(f"/notices/{notice.pk}/").content.decode()
    assert "错误的停水时间" in staff_page and "This notice was withdrawn." in staff_page


def test_home_card_shows_the_latest_notices(world: World) -> None:
    publish(world.tree.community_a, world.community_worker_a, title="社区通知")
    home = world.client(world.a1).get("/home/").content.decode()
    assert 'id="home-notices"' in home and "社区通知" in home
    assert 'id="home-notices"' not in world.client(world.b1).get("/home/").content.decode()


# --- staff ------------------------------------------------------------------------------------------------


def test_staff_detail_shows_read_counts_per_grid_and_reminds(world: World) -> None:
    notice = publish(world.tree.community_a, world.community_worker_a)
    actions.do_mark_notice_read(notice, acting_user=world.a2)
    client = world.client(world.community_worker_a)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "1 of 3 residents have read it (33%)." in page
    rows = re.findall(
        r'data-label="Grid">([^<]+)</td>\s*<td data-label="Recipients">(\d+)</td>\s*<td data-label="Read">(\d+)', page
    )
    assert rows == [("花家地第一网格", "2", "0"), ("花家地第二网格", "1", "1")]
    assert "Remind the 2 residents who have not read it" in page

    response = client.post(f"/notices/{notice.pk}/remind/", follow=True)
    assert "Reminder sent to 2 residents." in response.content.decode()
    again = client.post(f"/notices/{notice.pk}/remind/", follow=True)
    assert "You reminded about this notice recently." in again.content.decode()
    assert Notification.objects.filter(kind="notice_reminder").count() == 2


def test_correct_and_withdraw_pages(world: World) -> None:
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="周六停水", body="周六停水。")
    client = world.client(world.grid_worker_a1)
    bad = client.post(
        f"/notices/{notice.pk}/correct/", {"title": "周日停水", "body": "周日停水。", "urgency": "normal", "reason": ""}
    )
    assert bad.status_code == 422 and field_errors(bad, "reason") == ["This field is required."]
    ok = client.post(
        f"/notices/{notice.pk}/correct/",
        {
            "title": "周日停水",
            "body": "周日停水。",
            "urgency": "normal",
            "reason": "日期有误",
            "notify_recipients": "on",
        },
    )
    assert ok.status_code == 302
    page = world.client(world.a1).get(f"/notices/{notice.pk}/").content.decode()
    assert "Corrected" in page and "Earlier versions" in page and "周六停水。" in page and "日期有误" in page
    board = Client().get(f"/notices/board/{world.tree.community_a.pk}/{notice.pk}/").content.decode()
    assert "Corrected" in board and "周日停水" in board

    assert client.post(f"/notices/{notice.pk}/withdraw/", {"reason": "x"}).status_code == 422
    assert client.post(f"/notices/{notice.pk}/withdraw/", {"reason": "重复发布"}).status_code == 302
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.WITHDRAWN
    assert client.get(f"/notices/{notice.pk}/correct/").status_code == 404


# --- the public board -------------------------------------------------------------------------------------


def test_public_board_lists_published_notices_without_personal_data(world: World) -> None:
    street = publish(world.tree.street, world.street_officer, title="街道反诈提醒")
    grid = publish(world.tree.grid_a1, world.grid_worker_a1, title="A1 停水")
    other = publish(world.tree.grid_b1, world.grid_worker_b1, title="B1 停电")
    withdrawn = publish(world.tree.grid_a1, world.grid_worker_a1, title="撤回的通知")
    actions.do_withdraw_notice(withdrawn, reason="有误", acting_user=verified(world.grid_worker_a1))
    scheduled = actions.do_schedule_notice(
        world.tree.community_a, title="将来的通知", body="b", publish_at=timezone.now() + datetime.timedelta(days=1),
        acting_user=verified(world.community_worker_a),
    )  # fmt: skip

    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    board = anonymous.get(f"/notices/board/{world.tree.community_a.pk}/")
    text = board.content.decode()
    assert board.status_code == 200
    assert "街道反诈提醒" in text and "A1 停水" in text
    for hidden in ("B1 停电", "撤回的通知", "将来的通知"):
        assert hidden not in text
    detail = anonymous.get(f"/notices/board/{world.tree.community_a.pk}/{grid.pk}/").content.decode()
    for personal in ("测试员", world.grid_worker_a1.username, "张一", "139"):
        assert personal not in detail and personal not in text
    for missing in (other, withdrawn, scheduled):
        assert anonymous.get(f"/notices/board/{world.tree.community_a.pk}/{missing.pk}/").status_code == 404
    assert anonymous.get(f"/notices/board/{world.tree.grid_a1.pk}/").status_code == 404  # not a community
    assert anonymous.get(f"/notices/{street.pk}/").status_code == 302  # the signed-in page asks to sign in
    assert world.tree.community_a.name in anonymous.get("/notices/board/").content.decode()


def test_pages_render_in_chinese_by_default(world: World, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    publish(world.tree.grid_a1, world.grid_worker_a1, urgency="urgent")
    client = world.client(world.grid_worker_a1)
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    page = client.get("/notices/staff/").content.decode()
    assert "通知公告" in page and "紧急" in page and "辖区阅读情况" in page


# --- query counts -----------------------------------------------------------------------------------------


def _many(world: World, count: int) -> None:
    for number in range(count):
        publish(world.tree.grid_a1, world.grid_worker_a1, title=f"通知 {number}")


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm caches (session, grants)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/notices/staff/", "/notices/", "/notices/board/{community}/"])
def test_list_pages_have_a_fixed_query_count(world: World, path: str) -> None:
    user = world.a1 if path == "/notices/" else world.community_worker_a
    client = world.client(user) if path != "/notices/board/{community}/" else Client()
    url = path.format(community=world.tree.community_a.pk)
    _many(world, 10)
    at_10 = _queries(client, url)
    _many(world, 40)
    at_50 = _queries(client, url)
    assert at_10 == at_50


def test_a_withdrawn_corrected_notice_shows_no_earlier_version_to_residents(world: World) -> None:
    """Review of issue 5: the history of a withdrawn notice (its earlier versions' text) stays with
    staff; residents see only that it was withdrawn, and why."""
    notice = publish(world.tree.grid_a1, world.grid_worker_a1, title="停水通知", body="第一版的停水时间")
    author = verified(world.grid_worker_a1)
    notice = actions.do_correct_notice(
        notice, title="停水通知（更正）", body="第二版的停水时间", urgency="normal", reason="时间改了",
        acting_user=author,
    )  # fmt: skip
    actions.do_withdraw_notice(notice, reason="取消停水", acting_user=author)
    page = world.client(world.a1).get(f"/notices/{notice.pk}/").content.decode()
    assert "This notice was withdrawn." in page and "取消停水" in page
    for withdrawn_text in ("第一版的停水时间", "第二版的停水时间", "时间改了", "Earlier versions"):
        assert withdrawn_text not in page
    staff_page = world.client(world.grid_worker_a1).get(f"/notices/{notice.pk}/").content.decode()
    assert "第一版的停水时间" in staff_page and "第二版的停水时间" in staff_page


def test_staff_list_rows_show_state_and_read_counts(world: World) -> None:
    """The lean staff list (hand-written reads, Jinja2 rows) shows what ``_badges.html`` shows on
    the other pages, and each notice's read count in the actor's remit; the query count is pinned."""
    author = verified(world.grid_worker_a1)
    normal = publish(world.tree.grid_a1, world.grid_worker_a1, title="普通通知")
    urgent = publish(world.tree.grid_a1, world.grid_worker_a1, title="紧急通知", urgency="urgent")
    corrected = actions.do_correct_notice(
        publish(world.tree.grid_a1, world.grid_worker_a1, title="要更正的通知"),
        title="更正后的通知", body="新的正文", urgency="normal", reason="时间改了", acting_user=author,
    )  # fmt: skip
    withdrawn = actions.do_withdraw_notice(
        publish(world.tree.grid_a1, world.grid_worker_a1, title="撤回的通知"), reason="取消", acting_user=author
    )
    scheduled = actions.do_schedule_notice(
        world.tree.grid_a1, title="定时通知", body="正文", publish_at=timezone.now() + datetime.timedelta(days=2),
        acting_user=author,
    )  # fmt: skip
    actions.do_mark_notice_read(normal, acting_user=world.a1)
    client = world.client(world.grid_worker_a1)

    client.get("/notices/staff/")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/notices/staff/").content.decode()

    def cells(notice: Notice) -> list[str]:
        row = page.split(f'<a href="/notices/{notice.pk}/">', 1)[1].split("</tr>", 1)[0]
        return re.findall(r'<td data-label="[^"]+">(.*?)</td>', row)

    assert cells(normal)[1] == '<span class="status status-verified">published</span>'
    assert cells(normal)[3] == "1 of 2 (50%)"  # two residents of grid A1, one has read it
    assert cells(urgent)[1] == '<span class="status notice-urgency-urgent">urgent</span>'
    assert cells(corrected)[1] == ' <span class="status notice-corrected">Corrected</span>'
    assert cells(withdrawn)[1] == ' <span class="status notice-withdrawn">Withdrawn</span>'
    assert cells(scheduled)[1] == ' <span class="status status-pending">Scheduled</span>'
    assert cells(scheduled)[3] == "—"  # no receipts before publication
    local = timezone.localtime(scheduled.publish_at)
    assert cells(scheduled)[2] == f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d %H:%M}</time>'
    assert world.tree.grid_a1.name in cells(normal)[0]
    # identity, grants, inbox badge, count, page, read counts
    assert len(captured) == 6
