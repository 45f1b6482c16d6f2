"""Demo notices (演示通知) for ``linli demo``: in every community of the demo street a water cut
(停水), a lift inspection (电梯检修) for one building, a vaccination day (疫苗接种) and an anti-fraud
warning (反诈提醒), already delivered to the residents' inboxes with about half of them read; the
first community also has a scheduled notice, so its staff see one on the workbench.

Called by ``linli.demo.actions.do_load_demo`` inside its transaction (``demo_loader`` of the
manifest); rows go in with ``core.bulk.bulk_insert`` and explicit ids, like the rest of the demo."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.models import Area, AreaKind, within_q
from linli.core.bulk import bulk_insert
from linli.notices.actions import NOTIFICATION_KIND, resolve_recipients
from linli.notices.models import Notice, NoticeReceipt, NoticeStatus, NoticeVersion, Urgency
from linli.notify.models import Notification

READ_SHARE = 0.55


@dataclass(frozen=True)
class DemoNotice:
    level: str  # "community", "grid" or "building"
    title: str
    body: str
    urgency: str
    hours_ago: float


def _texts(community: str, grid: str, building: str) -> list[DemoNotice]:
    return [
        DemoNotice(
            "grid",
            f"{grid}周六上午停水通知",
            f"因市政供水管道检修，{grid}各小区本周六 8:00–12:00 停止供水。\n"
            "请提前储备生活用水，关闭家中水龙头，恢复供水后先放水片刻再使用。\n"
            "如有困难（独居老人、行动不便）请联系社区居委会，我们将上门送水。",
            Urgency.IMPORTANT,
            30,
        ),
        DemoNotice(
            "building",
            f"{building}电梯检修公告",
            f"{building}电梯将于下周二 9:00–17:00 进行年度检修，检修期间电梯停止运行。\n"
            "请住户合理安排出行，行动不便的住户可提前联系物业协助。给您带来的不便敬请谅解。",
            Urgency.NORMAL,
            52,
        ),
        DemoNotice(
            "community",
            f"{community}流感疫苗接种通知",
            "社区卫生服务站将于本月 15 日至 17 日为 60 岁以上老年人免费接种流感疫苗。\n"
            "请携带身份证和医保卡，每天 8:30–11:30、13:30–16:30 到社区卫生服务站接种。\n"
            "接种后请留观 30 分钟。",
            Urgency.NORMAL,
            76,
        ),
        DemoNotice(
            "community",
            "警惕冒充客服退款诈骗",
            "近期辖区多发冒充电商客服以“退款”“理赔”为名的诈骗。\n"
            "凡是要求您下载陌生软件、开启屏幕共享或向“安全账户”转账的，都是诈骗！\n"
            "如有疑问请拨打 96110 反诈专线或联系社区民警。",
            Urgency.IMPORTANT,
            6,
        ),
    ]


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(highest=Max("id"))["highest"] or 0) + 1


def _first_under(area: Area, kind: AreaKind) -> Area | None:
    return Area.objects.filter(within_q([area.path]), kind=kind).order_by("path").first()


def load_demo_notices(*, street: Area, scale: str, seed: int, accounts: dict[str, User], **_: Any) -> None:
    rng = random.Random(seed + 5)
    now = timezone.now()
    street_author = accounts.get("demo-street")
    worker = accounts.get("demo-worker")
    if street_author is None:
        return
    communities = list(Area.objects.filter(within_q([street.path]), kind=AreaKind.COMMUNITY).order_by("path"))
    next_notice, next_notification = _next_id(Notice), _next_id(Notification)
    notices: list[Notice] = []
    versions: list[NoticeVersion] = []
    notifications: list[Notification] = []
    receipts: list[NoticeReceipt] = []
    for position, community in enumerate(communities):
        author = worker if position == 0 and worker is not None else street_author
        grid = _first_under(community, AreaKind.GRID)
        building = _first_under(grid or community, AreaKind.BUILDING)
        estate = Area.objects.filter(pk=building.parent_id).first() if building and building.parent_id else None
        building_label = f"{estate.name}{building.name}" if building and estate else community.name
        targets = {"community": community, "grid": grid or community, "building": building or community}
        for item in _texts(community.name, (grid or community).name, building_label):
            area = targets[item.level]
            published = now - datetime.timedelta(hours=item.hours_ago)
            notice = Notice(
                id=next_notice, area_id=area.pk, area_path=area.path, title=item.title, body=item.body,
                urgency=item.urgency, status=NoticeStatus.PUBLISHED, publish_at=published, published_at=published,
                created_by_id=author.pk, created_at=published,
            )  # fmt: skip
            next_notice += 1
            recipients = resolve_recipients(area)
            notice.recipient_count = len(recipients)
            notices.append(notice)
            versions.append(
                NoticeVersion(
                    notice_id=notice.id, number=1, title=item.title, body=item.body, urgency=item.urgency,
                    created_by_id=author.pk, created_at=published,
                )
            )  # fmt: skip
            for recipient in recipients:
                read = rng.random() < READ_SHARE
                read_at = published + datetime.timedelta(minutes=rng.randint(5, 600)) if read else None
                if read_at is not None and read_at > now:
                    read_at = now
                notifications.append(
                    Notification(
                        id=next_notification, recipient_id=recipient.user_id, kind=NOTIFICATION_KIND,
                        title=item.title, body=" ".join(item.body.split())[:139] + "…",
                        url=f"/notices/{notice.id}/", created_at=published, read_at=read_at,
                    )
                )  # fmt: skip
                receipts.append(
                    NoticeReceipt(
                        notice_id=notice.id, user_id=recipient.user_id, area_path=recipient.dwelling_path,
                        grid_id=recipient.grid_id, notification_id=next_notification, delivered_at=published,
                        read_at=read_at,
                    )
                )  # fmt: skip
                next_notification += 1
        if position == 0:
            meeting_at = (now + datetime.timedelta(days=2)).replace(hour=19, minute=0, second=0, microsecond=0)
            body = (
                f"{community.name}将于本周四晚 19:00 在社区活动室召开居民议事会，议题：小区停车管理与加装电梯。\n"
                "欢迎居民代表和关心此事的居民参加，也可在平台上留言。"
            )
            notices.append(
                Notice(
                    id=next_notice, area_id=community.pk, area_path=community.path, title="居民议事会通知",
                    body=body, urgency=Urgency.NORMAL, status=NoticeStatus.SCHEDULED, publish_at=meeting_at,
                    created_by_id=author.pk, created_at=now,
                )
            )  # fmt: skip
            versions.append(
                NoticeVersion(
                    notice_id=next_notice, number=1, title="居民议事会通知", body=body, urgency=Urgency.NORMAL,
                    created_by_id=author.pk, created_at=now,
                )
            )  # fmt: skip
            next_notice += 1
    bulk_insert(Notice, notices)
    bulk_insert(NoticeVersion, versions)
    bulk_insert(Notification, notifications)
    bulk_insert(NoticeReceipt, receipts)
    statements = connection.ops.sequence_reset_sql(no_style(), [Notice, Notification])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
