"""Limit/offset pagination with a hard page-size cap (SECURITY.md G2).

``limit`` above ``settings.LINLI_API_MAX_PAGE_SIZE`` (default 100) is refused with 422 — the
schema declares the cap and this check applies the current setting at request time. A page is
two queries (count + rows) whatever its size; routers select related rows up front so the count
stays constant (the tests pin it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from linli.api.schemas import PageQuery
from linli.core.errors import ValidationFailed


def paginate(queryset: QuerySet[Any], query: PageQuery) -> dict[str, Any]:
    maximum = int(settings.LINLI_API_MAX_PAGE_SIZE)
    if query.limit > maximum:
        raise ValidationFailed(
            _("At most %(maximum)d items per page.") % {"maximum": maximum}, code="invalid", field="limit"
        )
    return {
        "count": queryset.count(),
        "limit": query.limit,
        "offset": query.offset,
        "items": list(queryset[query.offset : query.offset + query.limit]),
    }
