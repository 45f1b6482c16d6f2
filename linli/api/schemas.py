"""Request and response schemas shared by the routers.

Responses never carry an encrypted field in plaintext: the phone is masked
(``linli.privacy.masking``), ID numbers are not exposed at all. Request bodies forbid unknown
fields (``extra="forbid"``), so a write naming ``kind``, ``is_staff``, ``roles`` or an area is
refused with 422 instead of being silently dropped (SECURITY.md B3; OWASP API3 mass assignment).
They are also strict (``StrictIn``): a field takes exactly the JSON type the schema states, so
``{"elderly_mode": 0}`` or ``{"owner_id": "7"}`` is 422, never coerced (SECURITY.md test 6).
Query parameters stay lax: a query string is text by nature.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import ConfigDict


class ErrorDetail(Schema):
    code: str
    message: str
    fields: list[dict[str, Any]] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class StrictIn(Schema):
    """Base of every request body: unknown fields and type coercion are refused (422)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def error_responses(*statuses: int) -> dict[int, type[Schema]]:
    return {status: ErrorOut for status in statuses}


class PageQuery(Schema):
    """``limit`` (1 … ``LINLI_API_MAX_PAGE_SIZE``, default 20) and ``offset``. A larger limit is
    refused with 422, never clamped silently."""

    limit: int = Field(20, ge=1, le=settings.LINLI_API_MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=10_000_000)


class PageMeta(Schema):
    count: int
    limit: int
    offset: int


# --- me --------------------------------------------------------------------------------------


class RoleOut(Schema):
    role: str
    role_label: str
    area_id: int
    area_name: str
    department_id: int | None


class MeOut(Schema):
    id: int
    username: str
    kind: str
    display_name: str
    phone_masked: str = Field(description="Masked, e.g. 138****5678; the full number is never sent.")
    email_masked: str
    language: str
    elderly_mode: bool
    notify_by_sms: bool
    notify_by_email: bool
    roles: list[RoleOut] = Field(description="Effective roles; with an API token, narrowed to the token's area.")
    token_area_id: int | None = Field(None, description="The area of the API token used, if any.")


class PreferencesIn(StrictIn):
    """Only these two fields; any other field (kind, is_staff, roles, …) answers 422.
    ``elderly_mode`` is a JSON boolean (``0``/``"true"`` are refused)."""

    language: Literal["zh-hans", "en"] | None = None
    elderly_mode: bool | None = None


# --- areas -----------------------------------------------------------------------------------


class AreaOut(Schema):
    id: int
    kind: int = Field(description="1 district … 8 dwelling")
    kind_label: str
    code: str
    name: str
    parent_id: int | None
    depth: int
    is_active: bool


class AreaDetailOut(AreaOut):
    path: str
    geometry: dict[str, Any] | None


class AreaPage(PageMeta):
    items: list[AreaOut]


class AreaFilter(Schema):
    kind: int | None = Field(None, ge=1, le=8)
    parent: int | None = Field(None, ge=1, description="Only direct children of this area.")
    q: str | None = Field(None, min_length=1, max_length=100, description="Name or code contains.")


# --- notifications ----------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationPage(PageMeta):
    items: list[NotificationOut]
    unread: int


class NotificationFilter(Schema):
    unread: bool = Field(False, description="true: only unread notifications.")


class MarkedOut(Schema):
    marked: int


# --- tokens ----------------------------------------------------------------------------------


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    owner_id: int
    owner_username: str
    area_id: int
    area_name: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    status: Literal["active", "expired", "revoked"]


class TokenCreatedOut(TokenOut):
    token: str = Field(description="lnl_<prefix>_<secret>. Shown once; only its hash is stored.")


class TokenPage(PageMeta):
    items: list[TokenOut]


class TokenIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    owner_id: int = Field(ge=1)
    area_id: int = Field(ge=1)
    expires_in_days: int = Field(90, ge=1, le=365)
