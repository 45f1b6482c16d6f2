"""The staff member's own reveals ("My reveals")."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from linli.accounts.decorators import signed_in
from linli.privacy import selectors

FIELD_LABELS = {"phone": _("Mobile number"), "id_number": _("ID number")}


@signed_in
@require_GET
def my_reveals(request: HttpRequest) -> HttpResponse:
    """Time, field, masked object and reason of each full value this staff member viewed in the
    last 30 days, and how much of the reveal quota is used. Residents never reveal: 404."""
    if getattr(request.user, "kind", "") != "staff":
        raise Http404
    records = selectors.own_reveals_for(request.user)
    rows = [{"record": record, "field_label": FIELD_LABELS.get(record.field, record.field)} for record in records]
    context = {
        "rows": rows,
        "usage": selectors.reveal_usage_for(request.user),
        "days": selectors.OWN_REVEALS_DAYS,
    }
    return render(request, "privacy/my_reveals.html", context)
