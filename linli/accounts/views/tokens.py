"""API-token pages for the system administrator: list, issue (after fresh re-authentication,
secret shown once), revoke. Thin: parse a form, call one action, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts import selectors_tokens as selectors
from linli.accounts.actions.login import is_recently_authenticated
from linli.accounts.actions.tokens import (
    DEFAULT_LIFETIME_DAYS,
    do_issue_api_token,
    do_revoke_api_token,
    token_status,
)
from linli.accounts.decorators import rule_required
from linli.accounts.models import User
from linli.areas.models import Area, AreaKind
from linli.core.errors import LinliError, ReauthenticationRequired

RULE = "accounts.manage_api_tokens"
LIFETIME_CHOICES = [
    (30, gettext_lazy("30 days")),
    (90, gettext_lazy("90 days")),
    (180, gettext_lazy("180 days")),
    (365, gettext_lazy("1 year")),
]
ACTION_FIELDS = {"name": "name", "owner_id": "owner", "area_id": "area", "expires_in_days": "lifetime_days"}


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.username})" if obj.display_name else obj.username


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * obj.depth}{obj.name} · {AreaKind(obj.kind).label}"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. the system that uses it."),
    )
    owner = OwnerChoiceField(
        label=gettext_lazy("Owner account"),
        queryset=User.objects.none(),
        help_text=gettext_lazy("The token acts as this staff account, with its roles."),
    )
    area = AreaChoiceField(
        label=gettext_lazy("Area"),
        queryset=Area.objects.none(),
        help_text=gettext_lazy("The token only reaches this area and what lies below it."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=gettext_lazy("Valid for"), choices=LIFETIME_CHOICES, coerce=int, initial=DEFAULT_LIFETIME_DAYS
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        area_field = self.fields["area"]
        assert isinstance(owner_field, forms.ModelChoiceField) and isinstance(area_field, forms.ModelChoiceField)
        owner_field.queryset = selectors.token_owners_for(actor)
        area_field.queryset = selectors.token_areas_for(actor)


def _reauthenticate(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Confirm your identity to issue a token."))
    return redirect(f"{reverse('accounts:reauthenticate')}?{urlencode({'next': request.path})}")


@rule_required(RULE)
@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.tokens_for(request.user), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"token": token, "status": token_status(token, now)} for token in page]
    return render(request, "accounts/tokens/list.html", {"page": page, "rows": rows})


@rule_required(RULE)
@require_http_methods(["GET", "POST"])
def token_issue(request: HttpRequest) -> HttpResponse:
    if not is_recently_authenticated(request):
        return _reauthenticate(request)
    form = ApiTokenForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                issued = do_issue_api_token(
                    request,
                    owner=data["owner"],
                    area=data["area"],
                    name=data["name"],
                    lifetime_days=data["lifetime_days"],
                )
            except ReauthenticationRequired:
                return _reauthenticate(request)
            except LinliError as error:
                form.add_error(ACTION_FIELDS.get(error.field or "", None), str(error.message))
                status = error.status
            else:
                return render(request, "accounts/tokens/created.html", {"issued": issued}, status=201)
        else:
            status = 422
    return render(request, "accounts/tokens/issue.html", {"form": form}, status=status)


@rule_required(RULE)
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.get_token_for(request.user, token_id)
    do_revoke_api_token(token, acting_user=request.user)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
