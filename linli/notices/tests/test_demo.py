"""Demo notices: 停水, 电梯检修, 疫苗接种 and 反诈提醒 in every community of the demo street, delivered to
the residents' inboxes with receipts, about half read; one scheduled notice for the first community."""

from __future__ import annotations

import pytest

from linli.accounts.models import User
from linli.areas.models import Area, AreaKind, within_q
from linli.demo.actions import do_load_demo
from linli.demo.generator import DEFAULT_SEED
from linli.notices import selectors
from linli.notices.models import Notice, NoticeReceipt, NoticeStatus
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_every_community_gets_the_four_demo_notices(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    do_load_demo(scale="small", seed=DEFAULT_SEED)

    communities = list(Area.objects.filter(kind=AreaKind.COMMUNITY))
    assert len(communities) == 5
    for community in communities:
        titles = [notice.title for notice in selectors.board_notices(community)]
        assert len(titles) == 4
        assert sum("停水" in title for title in titles) == 1
        assert sum("电梯检修" in title for title in titles) == 1
        assert sum("疫苗" in title for title in titles) == 1
        assert sum("诈骗" in title for title in titles) == 1
    assert Notice.objects.filter(status=NoticeStatus.SCHEDULED).count() == 1

    # Each receipt matches an inbox entry of the same resident pointing at the notice.
    receipts = NoticeReceipt.objects.select_related("notification")
    assert receipts.count() == Notification.objects.filter(kind="notice").count() > 0
    assert all(r.notification.recipient_id == r.user_id for r in receipts)
    assert all(r.notification.url == f"/notices/{r.notice_id}/" for r in receipts)
    read = receipts.filter(read_at__isnull=False).count()
    assert 0.3 < read / receipts.count() < 0.8
    for notice in Notice.objects.filter(status=NoticeStatus.PUBLISHED):
        area = notice.area
        residents = (
            User.objects.filter(dwelling_links__status="verified", **{"dwelling_links__area_path__gte": area.path})
            .filter(within_q([area.path], field="dwelling_links__area_path"))
            .distinct()
            .count()
        )
        assert notice.recipient_count == residents == notice.receipts.count()

    resident = User.objects.get(username="demo-resident")
    assert len(list(selectors.notices_for_resident(resident))) >= 3
    # New rows after the demo get fresh ids (sequences moved past the explicit ones).
    assert (
        Notification.objects.create(recipient=resident, title="t").pk
        > receipts.order_by("-notification_id")[0].notification_id
    )
