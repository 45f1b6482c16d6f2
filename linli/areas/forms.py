"""Forms for the area pages: parsing only; the actions validate against the tree and write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.areas.geometry import MAX_GEOMETRY_BYTES, validate_geometry
from linli.areas.models import Area, AreaKind
from linli.core.errors import ValidationFailed

IMPORT_HELP = _(
    "A GeoJSON Polygon or MultiPolygon (a boundary) or Point (a location), or a Feature holding one, "
    "with longitude before latitude. It replaces what is on the map."
)


class GeometryField(forms.CharField):
    """GeoJSON text, validated and parsed (an empty value is None)."""

    def clean(self, value: Any) -> dict[str, Any] | None:
        text = super().clean(value)
        try:
            return validate_geometry(text)
        except ValidationFailed as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


def geometry_text(geometry: dict[str, Any] | None) -> str:
    return json.dumps(geometry, ensure_ascii=False) if geometry else ""


class GeometryImportMixin(forms.Form):
    """The advanced way in: GeoJSON pasted as text or chosen as a file. Either one, when given,
    replaces the ``geometry`` drawn on the map (and is what the page keeps without JavaScript)."""

    geometry_import = GeometryField(
        label=_("Paste GeoJSON"),
        required=False,
        help_text=IMPORT_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    geometry_file = forms.FileField(
        label=_("Or choose a GeoJSON file"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )

    def clean_geometry_file(self) -> dict[str, Any] | None:
        upload = self.cleaned_data.get("geometry_file")
        if not upload:
            return None
        if (upload.size or 0) > MAX_GEOMETRY_BYTES:
            raise forms.ValidationError(
                _("The geometry is larger than %(size)d KB.") % {"size": MAX_GEOMETRY_BYTES // 1024},
                code="geometry_too_large",
            )
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text."), code="geometry_json") from None
        try:
            geometry = validate_geometry(text)
        except ValidationFailed as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None
        if geometry is None:
            raise forms.ValidationError(_("The file is empty."), code="geometry_json")
        return geometry

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in ("geometry_file", "geometry_import"):
            if name not in self.errors and cleaned.get(name):
                cleaned["geometry"] = cleaned[name]
                break
        else:
            cleaned.setdefault("geometry", None)
        return cleaned

    @property
    def import_has_errors(self) -> bool:
        return "geometry_import" in self.errors or "geometry_file" in self.errors


class AreaForm(GeometryImportMixin):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    # Written by the map (areas/map.js); its errors show beside the map.
    geometry = GeometryField(label=_("Boundary"), required=False, widget=forms.HiddenInput)
    field_order = ("name", "code", "geometry", "geometry_import", "geometry_file")

    @classmethod
    def for_area(cls, area: Area, data: Any = None, files: Any = None) -> AreaForm:
        initial = {"code": area.code, "name": area.name, "geometry": geometry_text(area.geometry)}
        return cls(data, files, initial=initial, prefix="edit")


class ChildAreaForm(GeometryImportMixin):
    kind = forms.TypedChoiceField(label=_("Kind"), coerce=int, choices=())
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args: Any, parent: Area, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "child")
        super().__init__(*args, **kwargs)
        choices = [(kind.value, kind.label) for kind in AreaKind if kind.value > parent.kind]
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.TypedChoiceField)
        kind_field.choices = choices
        if choices and not self.is_bound:
            self.initial.setdefault("kind", choices[0][0])


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet file"),
        help_text=_("An .xlsx workbook or a .csv file (UTF-8 or GB18030)."),
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


class ImportConfirmForm(forms.Form):
    token = forms.RegexField(regex=r"^[A-Za-z0-9_-]{20,64}$", widget=forms.HiddenInput)
