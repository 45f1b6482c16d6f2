"""Resident home links (住户房屋绑定): the resident's "Link my home" page, the staff residents list
and detail page with verify / reject / revoke and reveal-with-reason, and verification letters.

Thin views: parse a form, call one selector or action, render. Out-of-scope objects answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.actions import residents as actions
from linli.accounts.actions.login import is_recently_authenticated
from linli.accounts.decorators import rule_required
from linli.accounts.forms_residents import (
    DwellingChoiceForm,
    LetterCodeForm,
    ReasonForm,
    ResidentIdentityForm,
    ResidentSearchForm,
    RevealForm,
)
from linli.accounts.models import DwellingLink, DwellingLinkStatus, DwellingRelation, User, VerificationLetter
from linli.accounts.selectors_residents import (
    LETTER_TARGET_KINDS,
    ChooserStep,
    ListLinkRow,
    ListLinks,
    ResidentSearch,
    accounts_sharing_id_number,
    address_label,
    address_labels_for,
    area_labels,
    area_options,
    chooser_steps,
    chosen_chain,
    evidence_rows_of,
    filter_area_options_for,
    filter_areas_for,
    get_active_area,
    get_evidence_for,
    get_link_for,
    get_link_for_detail,
    get_own_link,
    letter_dwellings_under,
    letter_scope,
    link_rows_of_resident_in_scope,
    links_for,
    list_rows_of,
)
from linli.areas.models import Area, AreaKind, within_q
from linli.core.errors import LinliError, PermissionRefused, ReauthenticationRequired, ValidationFailed
from linli.core.fragments import form_fields_html
from linli.core.jinja import render_rows
from linli.privacy.actions import REVEAL_RULES, do_reveal_field
from linli.privacy.masking import mask_id_number, mask_name, mask_phone

PAGE_SIZE = 50
MAX_CHOOSER_INDEX = 10


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _form_error(form: Any, error: LinliError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _chooser_index(request: HttpRequest) -> int:
    text = request.GET.get("index", "0")
    if not text.isdigit() or int(text) > MAX_CHOOSER_INDEX:
        raise Http404
    return int(text)


# --- resident: link my home ---------------------------------------------------------------------


IDENTITY_FIELDS = ("real_name", "id_number", "relation")


@rule_required("accounts.use_resident_services")
@require_http_methods(["GET", "POST"])
def link_dwelling(request: HttpRequest) -> HttpResponse:
    """One form: who the resident is (asked once), then either the home picked from the tree (with
    an optional photo or scan of a 房产证 or 租赁合同; staff verify later) or the code of a
    verification letter (verified at once). The submit button says which."""
    user = _actor(request)
    posted = request.method == "POST"
    kind = request.POST.get("form", "") if posted else ""
    only_next_step = "step" in request.POST  # the no-script "Show next level" button
    chain = chosen_chain(request.POST.getlist("at")) if posted else []
    dwelling = chain[-1] if chain and chain[-1].kind == AreaKind.DWELLING else None
    validate = kind in ("address", "letter") and not only_next_step
    if validate:
        identity_form = ResidentIdentityForm(request.POST)
    else:
        typed = {name: request.POST.get(name, "") for name in IDENTITY_FIELDS} if posted else {}
        identity_form = ResidentIdentityForm(initial=typed or {"real_name": user.display_name})
    address_form = DwellingChoiceForm(
        request.POST if validate and kind == "address" else None,
        request.FILES if validate and kind == "address" else None,
        dwelling=dwelling,
    )
    letter_form = LetterCodeForm(request.POST if validate and kind == "letter" else None)
    status = 200
    if validate:
        chosen_form: DwellingChoiceForm | LetterCodeForm = address_form if kind == "address" else letter_form
        identity_valid = identity_form.is_valid()
        if chosen_form.is_valid() and identity_valid:
            identity = {name: identity_form.cleaned_data[name] for name in IDENTITY_FIELDS}
            try:
                if kind == "address":
                    assert dwelling is not None
                    actions.do_request_dwelling_link(
                        user, dwelling=dwelling, evidence=address_form.upload, acting_user=user, **identity
                    )
                else:
                    actions.do_link_dwelling_with_letter(
                        user, code=letter_form.cleaned_data["code"], acting_user=user, **identity
                    )
            except LinliError as error:
                target_form = identity_form if error.field in identity_form.fields else chosen_form
                _form_error(target_form, error)
                status = error.status
            else:
                if kind == "address":
                    messages.success(
                        request, _("Request sent. Community staff will verify it, usually within three days.")
                    )
                else:
                    messages.success(request, _("Your home is verified."))
                return redirect("web:resident_home")
        else:
            status = 422
    context = {
        "identity_form": identity_form,
        "address_form": address_form,
        "letter_form": letter_form,
        "steps": chooser_steps(chain),
        "chosen": dwelling,
        "chosen_address": address_label(dwelling.path, area_labels([dwelling.path]), include_grid=False)
        if dwelling
        else "",
        "step_url": reverse("residents:area_step"),
    }
    return render(request, "accounts/residents/link_dwelling.html", context, status=status)


@rule_required("accounts.use_resident_services")
@require_GET
def area_step(request: HttpRequest) -> HttpResponse:
    """htmx: the next select of the home chooser under the chosen area (public place names)."""
    index = _chooser_index(request)
    value = request.GET.get("at", "")
    if not value:
        return HttpResponse("")
    area = get_active_area(value)
    options = area_options(area)
    steps = [ChooserStep(index=index + 1, options=options)] if options else []
    chosen = area if area.kind == AreaKind.DWELLING else None
    context = {
        "steps": steps,
        "chosen": chosen,
        "chosen_address": address_label(area.path, area_labels([area.path]), include_grid=False) if chosen else "",
        "step_url": reverse("residents:area_step"),
    }
    return render(request, "accounts/residents/_chooser.html", context)


@rule_required("accounts.use_resident_services")
@require_POST
def withdraw_link(request: HttpRequest, link_id: int) -> HttpResponse:
    user = _actor(request)
    link = get_own_link(user, link_id)
    try:
        actions.do_withdraw_dwelling_link(link, acting_user=user)
    except LinliError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect("web:resident_home")


# --- staff: residents list and detail -----------------------------------------------------------


@dataclass
class ResidentRow:
    link: DwellingLink
    name: str
    phone: str
    id_number: str
    address: str
    relation: str


def _row(link: DwellingLink) -> ResidentRow:
    resident = link.user
    return ResidentRow(
        link=link,
        name=mask_name(resident.display_name),
        phone=mask_phone(resident.phone),
        id_number=mask_id_number(resident.id_number),
        address=getattr(link, "address", ""),
        relation=actions.relation_label(link.relation),
    )


class ListRow(NamedTuple):
    """One row of the residents list, every value formatted once, in Python (lean list: no
    template filters, reverse() or gettext per row; a named tuple is built faster than a frozen
    dataclass)."""

    url: str
    name: str
    phone: str
    dwelling: str
    address: str
    relation: str
    status: str
    status_label: str
    submitted_iso: str
    submitted: str


def _list_rows(links: list[ListLinkRow]) -> list[ListRow]:
    from django.utils import timezone

    missing = [link.area_path for link in links if link.address is None]
    addresses = address_labels_for(missing) if missing else {}
    detail_prefix = reverse("residents:list")
    relations = {value: str(label) for value, label in DwellingRelation.choices}
    statuses = {value: str(label) for value, label in DwellingLinkStatus.choices}
    local = timezone.get_current_timezone()
    rows = []
    for link in links:
        created = link.created_at.astimezone(local)
        rows.append(
            ListRow(
                url=f"{detail_prefix}{link.id}/",
                name=mask_name(link.display_name),
                phone=mask_phone(link.phone),
                dwelling=link.dwelling_name,
                address=addresses.get(link.area_path, "") if link.address is None else link.address,
                relation=relations.get(link.relation, link.relation),
                status=link.status,
                status_label=statuses.get(link.status, link.status),
                submitted_iso=created.isoformat(),
                submitted=created.date().isoformat(),
            )
        )
    return rows


LIST_FILTERS = ("status", "area")


@rule_required("accounts.view_residents")
@require_http_methods(["GET", "POST"])
def resident_list(request: HttpRequest) -> HttpResponse:
    """Home links in the actor's remit, pending first. Filters by status and area; search by name,
    mobile number (exact, by blind index), building and room. The search is posted and its results
    rendered in the answer, so no name, number or address ever reaches a URL (SECURITY.md D5);
    paging re-posts the same form."""
    actor = _actor(request)
    if request.method == "POST":
        data: Any = request.POST
    else:  # links from elsewhere may filter by status and area (not personal) in the query string
        data = {key: request.GET[key] for key in LIST_FILTERS if key in request.GET} or None
    area_options = filter_area_options_for(actor)
    # The areas queryset only validates a chosen area: an unbound form never evaluates it.
    areas = filter_areas_for(actor) if data is not None else Area.objects.none()
    form = ResidentSearchForm(data, areas=areas, area_options=area_options)
    status, area, search = "", None, ResidentSearch()
    status_code = 200
    if form.is_bound:
        if form.is_valid():
            status = form.cleaned_data["status"] or ""
            area = form.cleaned_data["area"]
            search = form.search()
        elif request.method == "POST":
            status_code = 422  # the errors are shown next to the fields, and no results
    page_number = (request.POST if request.method == "POST" else request.GET).get("page")
    results: Any
    if status_code != 200:
        results = []
    elif search:
        results = links_for(actor, status=status, area=area, search=search)
    else:  # the usual case: one hand-written query for the page, one for the count
        results = ListLinks(actor, status=status, area=area)
    page = Paginator(results, PAGE_SIZE).get_page(page_number)
    objects = list(page.object_list)
    rows = _list_rows(objects if not search or status_code != 200 else list_rows_of(objects))
    labels = {
        "name": _("Full name"),
        "phone": _("Mobile number"),
        "home": _("Home"),
        "relation": _("Relation"),
        "status": _("Status"),
        "submitted": _("Submitted"),
    }
    context = {
        "form": form,
        # unbound, the fields show only labels, help texts and these options: rendered once per language
        "fields_html": form_fields_html("accounts/residents/_search_fields.html", form, (tuple(area_options),)),
        "page": page,
        "rows": rows,
        # the rows are a Jinja2 fragment (autoescaped): ≈ 7× cheaper per row than a Django template
        "rows_html": render_rows("accounts/residents/_list_rows.html", {"rows": rows, "labels": labels})
        if rows
        else "",
        "labels": labels,
        "searching": bool(search) or status_code != 200,
    }
    return render(request, "accounts/residents/list.html", context, status=status_code)


def _render_detail(
    request: HttpRequest,
    link: DwellingLink,
    *,
    reject_form: ReasonForm | None = None,
    revoke_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from django.utils import timezone

    actor = _actor(request)
    resident = link.user
    # the resident's links in the actor's remit, this one among them (one hand-written query)
    rows = link_rows_of_resident_in_scope(actor, link)
    own = next((row for row in rows if row.id == link.pk), None)
    link.address = (  # type: ignore[attr-defined]
        own.address if own is not None else address_labels_for([link.area_path]).get(link.area_path, "")
    )
    statuses = {value: str(label) for value, label in DwellingLinkStatus.choices}
    detail_prefix = reverse("residents:list")
    others = [
        {
            "url": f"{detail_prefix}{row.id}/",
            "name": row.dwelling_name,
            "address": row.address,
            "status": row.status,
            "status_label": statuses.get(row.status, row.status),
        }
        for row in rows
        if row.id != link.pk
    ][:10]
    created = timezone.localtime(link.created_at)
    decided = timezone.localtime(link.decided_at) if link.decided_at else None
    context = {
        "link": link,
        "row": _row(link),
        "others": others,
        "created_iso": created.isoformat(),
        "created_text": f"{created:%Y-%m-%d %H:%M}",
        "decided_iso": decided.isoformat() if decided else "",
        "decided_text": f"{decided:%Y-%m-%d %H:%M}" if decided else "",
        "shared_id_accounts": accounts_sharing_id_number(resident),
        "can_decide": actor.has_perm("accounts.verify_resident", link),
        "can_reveal_phone": bool(resident.phone) and actor.has_perm(REVEAL_RULES["phone"], link),
        "can_reveal_id_number": bool(resident.id_number) and actor.has_perm(REVEAL_RULES["id_number"], link),
        "reject_fields": form_fields_html(
            "accounts/residents/_reason_fields.html", reject_form or ReasonForm(prefix="reject")
        ),
        "revoke_fields": form_fields_html(
            "accounts/residents/_reason_fields.html", revoke_form or ReasonForm(prefix="revoke")
        ),
        "method_label": link.get_method_display() if link.method else "",
        "evidence": evidence_rows_of(link) if link.status == DwellingLinkStatus.PENDING else [],
    }
    return render(request, "accounts/residents/detail.html", context, status=status)


@rule_required("accounts.view_residents")
@require_GET
def resident_detail(request: HttpRequest, link_id: int) -> HttpResponse:
    return _render_detail(request, get_link_for_detail(_actor(request), link_id))


@rule_required("accounts.verify_resident")
@require_GET
def evidence_file(request: HttpRequest, link_id: int, evidence_id: int) -> HttpResponse:
    """The photo or scan a resident attached, for staff who may decide the link (audited, never
    cached). Out of scope, decided or deleted: 404."""
    actor = _actor(request)
    evidence = get_evidence_for(actor, link_id, evidence_id)
    try:
        data = actions.do_open_evidence(evidence, acting_user=actor)
    except PermissionRefused as error:
        raise Http404 from error
    response = HttpResponse(data, content_type=evidence.content_type)
    extension = actions.EVIDENCE_EXTENSIONS.get(evidence.content_type, "bin")
    response["Content-Disposition"] = f'inline; filename="evidence-{evidence.pk}.{extension}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if evidence.content_type.startswith("image/"):
        # A resident's file, opened by staff on the site's origin: nothing in it may run. (PDFs keep
        # the site's CSP: Chrome refuses to show a PDF in a sandboxed document, and its viewer
        # runs apart from the page's origin.)
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@rule_required("accounts.verify_resident")
@require_POST
def approve_link(request: HttpRequest, link_id: int) -> HttpResponse:
    actor = _actor(request)
    link = get_link_for(actor, link_id)
    try:
        actions.do_verify_dwelling_link(link, acting_user=actor)
    except PermissionRefused as error:
        raise Http404 from error
    except LinliError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The home link is verified. The resident was told."))
    return redirect("residents:detail", link_id=link.pk)


def _decide_with_reason(request: HttpRequest, link_id: int, *, revoke: bool) -> HttpResponse:
    actor = _actor(request)
    link = get_link_for(actor, link_id)
    prefix = "revoke" if revoke else "reject"
    form = ReasonForm(request.POST, prefix=prefix)
    if not actor.has_perm("accounts.verify_resident", link):
        raise Http404
    if form.is_valid():
        action = actions.do_revoke_dwelling_link if revoke else actions.do_reject_dwelling_link
        try:
            action(link, reason=form.cleaned_data["reason"], acting_user=actor)
        except PermissionRefused as error:
            raise Http404 from error
        except ValidationFailed as error:
            _form_error(form, error)
        except LinliError as error:
            messages.error(request, str(error.message))
            return redirect("residents:detail", link_id=link.pk)
        else:
            messages.success(
                request,
                _("The home link was revoked.") if revoke else _("The request was rejected. The resident was told."),
            )
            return redirect("residents:detail", link_id=link.pk)
    forms = {"revoke_form": form} if revoke else {"reject_form": form}
    return _render_detail(request, link, status=422, **forms)


@rule_required("accounts.verify_resident")
@require_POST
def reject_link(request: HttpRequest, link_id: int) -> HttpResponse:
    return _decide_with_reason(request, link_id, revoke=False)


@rule_required("accounts.verify_resident")
@require_POST
def revoke_link(request: HttpRequest, link_id: int) -> HttpResponse:
    return _decide_with_reason(request, link_id, revoke=True)


# --- staff: reveal with reason ------------------------------------------------------------------

FIELD_LABELS = {"phone": gettext_lazy("Mobile number"), "id_number": gettext_lazy("ID number")}


def _reauthenticate_response(request: HttpRequest, next_url: str) -> HttpResponse:
    target = f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}"
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@rule_required("accounts.view_residents")
@require_http_methods(["GET", "POST"])
def reveal_field(request: HttpRequest, link_id: int, field: str) -> HttpResponse:
    """Show a full phone or ID number once, after a reason and fresh re-authentication. The value
    is only ever in this response's body: never in a URL, the session or a cache."""
    if field not in REVEAL_RULES:
        raise Http404
    actor = _actor(request)
    link = get_link_for(actor, link_id)
    resident = link.user
    if not getattr(resident, field):
        raise Http404
    detail_url = reverse("residents:detail", kwargs={"link_id": link.pk})
    template = "accounts/residents/_reveal.html" if _is_htmx(request) else "accounts/residents/reveal.html"
    context: dict[str, Any] = {
        "link": link,
        "field": field,
        "field_label": FIELD_LABELS[field],
        "masked": mask_phone(resident.phone) if field == "phone" else mask_id_number(resident.id_number),
        "detail_url": detail_url,
        "value": None,
    }
    if request.method == "GET":
        if not actor.has_perm(REVEAL_RULES[field], link):
            raise Http404
        if not is_recently_authenticated(request):
            return _reauthenticate_response(request, detail_url)
        context["form"] = RevealForm()
        return render(request, template, context)
    form = RevealForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, template, context, status=422)
    try:
        value = do_reveal_field(request, resident, field, reason=form.cleaned_data["reason"], scope_object=link)
    except ReauthenticationRequired:
        return _reauthenticate_response(request, detail_url)
    except PermissionRefused as error:
        raise Http404 from error
    except ValidationFailed as error:
        _form_error(form, error)
        return render(request, template, context, status=422)
    context["value"] = value
    return render(request, template, context)


# --- staff: verification letters ----------------------------------------------------------------


@dataclass
class LetterRow:
    letter: VerificationLetter
    address: str
    state: str


def _recent_letters(scope: list[str]) -> list[LetterRow]:
    from django.utils import timezone

    letters = list(
        VerificationLetter.objects.filter(within_q(scope, field="dwelling__path"))
        .select_related("dwelling")
        .order_by("-issued_at", "-id")[:20]
    )
    labels = area_labels(letter.dwelling.path for letter in letters)
    now = timezone.now()
    rows = []
    for letter in letters:
        if letter.used_at is not None:
            state = _("used")
        elif letter.expires_at <= now:
            state = _("expired")
        else:
            state = _("not yet used")
        rows.append(LetterRow(letter=letter, address=address_label(letter.dwelling.path, labels), state=state))
    return rows


@rule_required("accounts.issue_letter")
@require_http_methods(["GET", "POST"])
def issue_letters(request: HttpRequest) -> HttpResponse:
    """Choose a building, unit or dwelling in scope and print one letter per dwelling. The codes
    appear once, in this response only."""
    actor = _actor(request)
    scope = letter_scope(actor)
    chain = chosen_chain(request.POST.getlist("at"), within=scope) if request.method == "POST" else []
    target = chain[-1] if chain and chain[-1].kind in LETTER_TARGET_KINDS else None
    error = ""
    status = 200
    if request.method == "POST" and "issue" in request.POST:
        if target is None:
            error = _("Choose a building, a unit or a dwelling.")
            status = 422
        else:
            try:
                issued = actions.do_issue_letters(target, acting_user=actor)
            except LinliError as failure:
                error = str(failure.message)
                status = failure.status if failure.status != 403 else 422
            else:
                labels = area_labels(letter.dwelling.path for letter in issued)
                letters = [
                    {"issued": letter, "address": address_label(letter.dwelling.path, labels)} for letter in issued
                ]
                community = next((area for area in labels.values() if area.kind == AreaKind.COMMUNITY), None)
                return render(
                    request,
                    "accounts/residents/letters_print.html",
                    {
                        "letters": letters,
                        "area": target,
                        "community": community,
                        "expires_at": issued[0].letter.expires_at,
                    },
                )
    context = {
        "steps": chooser_steps(chain, within=scope),
        "target": target,
        "target_count": letter_dwellings_under(target).count() if target else 0,
        "step_url": reverse("residents:letter_area_step"),
        "error": error,
        "recent": _recent_letters(scope),
    }
    return render(request, "accounts/residents/letters.html", context, status=status)


@rule_required("accounts.issue_letter")
@require_GET
def letter_area_step(request: HttpRequest) -> HttpResponse:
    """htmx: the next select of the letter area chooser, limited to the actor's remit."""
    index = _chooser_index(request)
    value = request.GET.get("at", "")
    if not value:
        return HttpResponse("")
    scope = letter_scope(_actor(request))
    area = get_active_area(value, within=scope)
    options = area_options(area, within=scope)
    steps = [ChooserStep(index=index + 1, options=options)] if options else []
    target: Area | None = area if area.kind in LETTER_TARGET_KINDS else None
    context = {
        "steps": steps,
        "target": target,
        "target_count": letter_dwellings_under(target).count() if target else 0,
        "step_url": reverse("residents:letter_area_step"),
        "letters": True,
    }
    return render(request, "accounts/residents/_chooser.html", context)
