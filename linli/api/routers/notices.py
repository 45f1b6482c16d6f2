"""Community notices (通知公告) through the API: residents list and read the notices of their homes
(and record that they read one); staff list the notices in and above their area, read the per-grid
read counts of their recipients and publish (JSON; attachments through the web form). Out of scope
answers 404. Reads go through ``linli.notices.selectors``, writes through ``linli.notices.actions``."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime, BeforeValidator, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from linli.api.auth import require
from linli.api.pagination import paginate
from linli.api.schemas import PageMeta, PageQuery, StrictIn, error_responses
from linli.notices import actions, selectors
from linli.notices.actions import BODY_MAX, TITLE_MAX
from linli.notices.models import Notice

router = Router(tags=["notices"])


class NoticeOut(Schema):
    id: int
    title: str
    urgency: Literal["normal", "important", "urgent"]
    status: Literal["scheduled", "published", "withdrawn"]
    area_id: int
    area_name: str
    publish_at: datetime.datetime
    corrected_at: datetime.datetime | None = Field(None, description="Set when corrected after publication (已更正).")
    read: bool | None = Field(None, description="Residents: whether I have read it.")


class NoticeDetailOut(NoticeOut):
    body: str = Field(description="Plain text with line breaks; empty for a withdrawn notice (residents).")
    version: int
    withdraw_reason: str


class NoticePage(PageMeta):
    items: list[NoticeOut]


class NoticeFilter(Schema):
    status: Literal["scheduled", "published", "withdrawn"] | None = Field(None, description="Staff only.")


class GridCountOut(Schema):
    grid_id: int | None
    grid_name: str
    recipients: int
    read: int


class NoticeStatsOut(Schema):
    recipients: int
    read: int
    grids: list[GridCountOut]


_AWARE_DATETIME = TypeAdapter(AwareDatetime)


def _datetime_from_text(value: object) -> object:
    """JSON has no date type: a strict body takes the time as ISO 8601 text (with its offset),
    never as a number."""
    if isinstance(value, str):
        try:
            return _AWARE_DATETIME.validate_strings(value)
        except PydanticValidationError as error:
            raise ValueError(error.errors()[0]["msg"]) from None
    return value


class NoticeIn(StrictIn):
    area_id: int = Field(ge=1, description="A street, community, grid, estate or building in your remit.")
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    urgency: Literal["normal", "important", "urgent"] = "normal"
    publish_at: Annotated[AwareDatetime | None, BeforeValidator(_datetime_from_text)] = Field(
        None, description="ISO 8601 with its offset. Omit to publish now; a later time schedules it."
    )


class ReadOut(Schema):
    recorded: bool


def _is_staff(request: HttpRequest) -> bool:
    return getattr(request.user, "kind", None) == "staff"


def notice_out(notice: Notice, *, read: bool | None = None) -> NoticeOut:
    return NoticeOut(
        id=notice.pk,
        title=notice.title,
        urgency=notice.urgency,  # type: ignore[arg-type]
        status=notice.status,  # type: ignore[arg-type]
        area_id=notice.area_id,
        area_name=notice.area.name,
        publish_at=notice.publish_at,
        corrected_at=notice.corrected_at if notice.is_corrected else None,
        read=read,
    )


@router.get("/notices", response={200: NoticePage, **error_responses(400, 401, 403, 422, 429)}, summary="List notices")
def list_notices(request: HttpRequest, filters: Query[NoticeFilter], page: Query[PageQuery]) -> dict[str, Any]:
    """Residents: the notices of their verified homes, newest first, with ``read``. Staff: the
    notices in and above their area (``status`` filters)."""
    if _is_staff(request):
        require(request, "notices.view_notices")
        result = paginate(selectors.staff_notices_for(request.user, status=filters.status or ""), page)
        result["items"] = [notice_out(notice) for notice in result["items"]]
        return result
    require(request, "notices.read_notices")
    result = paginate(selectors.notices_for_resident(request.user), page)
    result["items"] = [notice_out(notice, read=notice.is_read) for notice in result["items"]]
    return result


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeDetailOut, **error_responses(400, 401, 404, 422, 429)},
    summary="Get a notice",
)
def get_notice(request: HttpRequest, notice_id: int) -> NoticeDetailOut:
    """One notice the caller may see, else 404. Residents: POST ``/notices/{id}/read`` when shown."""
    notice = selectors.get_notice_for(request.user, notice_id)
    hide = notice.is_withdrawn and not _is_staff(request)
    return NoticeDetailOut(
        **notice_out(notice).model_dump(),
        body="" if hide else notice.body,
        version=notice.version,
        withdraw_reason=notice.withdraw_reason if notice.is_withdrawn else "",
    )


@router.post(
    "/notices/{notice_id}/read",
    response={200: ReadOut, **error_responses(400, 401, 403, 404, 422, 429)},
    summary="Record that I read a notice",
)
def read_notice(request: HttpRequest, notice_id: int) -> ReadOut:
    """The read receipt (回执) of a resident who received the notice; ``recorded`` is true the first time."""
    require(request, "notices.read_notices")
    notice = selectors.get_notice_for(request.user, notice_id)
    return ReadOut(recorded=actions.do_mark_notice_read(notice, acting_user=request.user))


@router.get(
    "/notices/{notice_id}/stats",
    response={200: NoticeStatsOut, **error_responses(400, 401, 403, 404, 422, 429)},
    summary="Read counts of a notice per grid",
)
def notice_stats(request: HttpRequest, notice_id: int) -> NoticeStatsOut:
    """Recipients and readers per grid, counting only the recipients in the caller's area."""
    require(request, "notices.view_notice_stats")
    notice = selectors.get_notice_for(request.user, notice_id)
    grids = selectors.grid_counts_for(request.user, notice)
    return NoticeStatsOut(
        recipients=sum(row.count.total for row in grids),
        read=sum(row.count.read for row in grids),
        grids=[
            GridCountOut(grid_id=row.grid_id, grid_name=row.grid_name, recipients=row.count.total, read=row.count.read)
            for row in grids
        ],
    )


@router.post(
    "/notices",
    response={201: NoticeDetailOut, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    summary="Publish a notice",
)
def publish_notice(request: HttpRequest, payload: NoticeIn) -> Status:
    """Publish now, or schedule with ``publish_at``, to an area in the caller's remit (404 otherwise)."""
    require(request, "notices.publish_notice")
    area = selectors.get_target_area_for(request.user, payload.area_id)
    if payload.publish_at is not None:
        notice = actions.do_schedule_notice(
            area, title=payload.title, body=payload.body, urgency=payload.urgency,
            publish_at=payload.publish_at, acting_user=request.user,
        )  # fmt: skip
    else:
        notice = actions.do_publish_notice(
            area, title=payload.title, body=payload.body, urgency=payload.urgency, acting_user=request.user
        )
    return Status(201, get_notice(request, notice.pk))
