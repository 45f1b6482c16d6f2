"""Forms for linking a resident to a home, deciding on links, revealing a field and the staff
residents list. Parsing and validation only; the actions write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.accounts.actions.login import phone_index
from linli.accounts.actions.residents import (
    LETTER_CODE_ALPHABET,
    LETTER_CODE_LENGTH,
    MAX_EVIDENCE_BYTES,
    MAX_NAME_LENGTH,
    MIN_REASON_LENGTH,
    EvidenceUpload,
    evidence_content_type,
    normalise_letter_code,
)
from linli.accounts.models import DwellingLinkStatus, DwellingRelation, EvidenceKind
from linli.accounts.selectors_residents import ResidentSearch
from linli.areas.models import Area
from linli.core.errors import ValidationFailed
from linli.core.widgets import LeanSelect, LeanTextInput
from linli.privacy.actions import MIN_REASON_LENGTH as MIN_REVEAL_REASON_LENGTH
from linli.privacy.validators import validate_id_number, validate_phone


class ResidentIdentityForm(forms.Form):
    """Who the resident is: real name, ID number (GB 11643) and relation to the home."""

    real_name = forms.CharField(
        label=_("Real name"),
        max_length=MAX_NAME_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=24,
        help_text=_("18 characters, as on your identity card."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    relation = forms.ChoiceField(label=_("Relation to the home"), choices=DwellingRelation.choices)

    def clean_real_name(self) -> str:
        name = " ".join(self.cleaned_data["real_name"].split())
        if len(name) < 2:
            raise ValidationError(_("Enter your real name."), code="name_required")
        return name

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])


def _evidence_help() -> str:
    return gettext(
        "A property certificate or a lease helps staff verify you sooner. JPEG, PNG, WebP or PDF, up to"
        " %(size)d MB. Only staff who verify homes see it; it is deleted after their decision."
    ) % {"size": MAX_EVIDENCE_BYTES // (1024 * 1024)}


class DwellingChoiceForm(forms.Form):
    """Link by choosing the home from the tree (staff verify it later), optionally with a photo or
    scan of a 房产证 or 租赁合同. The identity is asked once, by ``ResidentIdentityForm``."""

    evidence_kind = forms.ChoiceField(
        label=_("What the file shows"),
        choices=[("", _("— choose —")), *EvidenceKind.choices],
        required=False,
    )
    evidence = forms.FileField(
        label=_("Photo or scan (optional)"),
        required=False,
        help_text=lazy(_evidence_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )

    def __init__(self, *args: Any, dwelling: Area | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dwelling = dwelling

    def clean_evidence(self) -> bytes | None:
        upload = self.cleaned_data.get("evidence")
        if not upload:
            return None
        if upload.size > MAX_EVIDENCE_BYTES:  # refused before reading it into memory
            raise ValidationError(
                _("The file is larger than %(size)d MB. Take a smaller photo or scan.")
                % {"size": MAX_EVIDENCE_BYTES // (1024 * 1024)},
                code="evidence_too_large",
            )
        data = upload.read(MAX_EVIDENCE_BYTES + 1)
        try:
            evidence_content_type(data)
        except ValidationFailed as error:
            raise ValidationError(str(error.message), code=error.code) from error
        return bytes(data)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.dwelling is None:
            raise ValidationError(_("Choose your home down to the dwelling (flat or house)."), code="dwelling_required")
        if data.get("evidence") and not data.get("evidence_kind"):
            self.add_error("evidence_kind", ValidationError(_("Choose what the file shows."), code="evidence_kind"))
        return data

    @property
    def upload(self) -> EvidenceUpload | None:
        data = self.cleaned_data.get("evidence")
        return EvidenceUpload(kind=self.cleaned_data["evidence_kind"], data=data) if data else None


class LetterCodeForm(forms.Form):
    """Link at once with the code printed on a verification letter."""

    code = forms.CharField(
        label=_("Code on the letter"),
        max_length=20,
        help_text=_("10 letters and digits; dashes and spaces do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = normalise_letter_code(self.cleaned_data["code"])
        if len(code) != LETTER_CODE_LENGTH or any(char not in LETTER_CODE_ALPHABET for char in code):
            raise ValidationError(_("The code has 10 letters and digits."), code="letter_code_format")
        return code


class ReasonForm(forms.Form):
    """The reason for rejecting or revoking a home link; the resident reads it. Its minimum length
    is stated next to the field by the shared form renderer (``field.requirements``)."""

    reason = forms.CharField(
        label=_("Reason"),
        min_length=MIN_REASON_LENGTH,
        max_length=200,
        help_text=_("The resident will read it."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevealForm(forms.Form):
    """Why a staff member needs the full value; kept in the audit log."""

    reason = forms.CharField(
        label=_("Why do you need the full value?"),
        min_length=MIN_REVEAL_REASON_LENGTH,
        max_length=200,
        help_text=_("Recorded in the audit log."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


STATUS_FILTER_CHOICES = [("", _("All (pending first)")), *DwellingLinkStatus.choices]


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.kind_label})"


class ResidentFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTER_CHOICES, required=False, widget=LeanSelect)
    area = AreaChoiceField(
        label=_("Community or grid"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("All"),
        widget=LeanSelect,
    )

    def __init__(
        self, *args: Any, areas: QuerySet[Area], area_options: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        """``areas`` validates the chosen area; ``area_options`` (id, label), when given, are the
        same areas read beforehand by hand, so rendering builds no ``Area`` (decision 0011)."""
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, AreaChoiceField)
        area_field.queryset = areas
        if area_options is not None:
            area_field.widget.choices = [("", area_field.empty_label), *area_options]


class ResidentSearchForm(ResidentFilterForm):
    """The residents list's filters and search. Names, phone numbers and addresses are personal
    data, so this form is only ever posted (never in a URL, SECURITY.md D5); the phone number is
    turned into its blind index here and never stored or logged."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=MAX_NAME_LENGTH,
        required=False,
        widget=LeanTextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        help_text=_("The whole number (11 digits)."),
        widget=LeanTextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    building = forms.CharField(
        label=_("Building"), max_length=30, required=False, widget=LeanTextInput(attrs={"autocomplete": "off"})
    )
    room = forms.CharField(
        label=_("Room"), max_length=30, required=False, widget=LeanTextInput(attrs={"autocomplete": "off"})
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self) -> str:
        text = self.cleaned_data["phone"].strip()
        return validate_phone(text) if text else ""

    def clean_building(self) -> str:
        return _place_text(self.cleaned_data["building"], BUILDING_SUFFIXES)

    def clean_room(self) -> str:
        return _place_text(self.cleaned_data["room"], ROOM_SUFFIXES)

    def search(self) -> ResidentSearch:
        data = self.cleaned_data
        phone = data.get("phone") or ""
        return ResidentSearch(
            name=data.get("name") or "",
            phone_index=phone_index(phone) if phone else "",
            building=data.get("building") or "",
            room=data.get("room") or "",
        )


# How Chinese addresses write a building or room number: "3号楼", "3栋", "1302室".
BUILDING_SUFFIXES = ("号楼", "栋", "幢", "楼", "号")
ROOM_SUFFIXES = ("室", "号", "房")


def _place_text(value: str, suffixes: tuple[str, ...]) -> str:
    """ "3号楼" and "3" both search for building 3; "1302室" and "1302" for room 1302."""
    text = "".join(value.split())
    for suffix in suffixes:
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return text[: -len(suffix)]
    return text
