"""Forms for the area pages: parsing only; the actions validate against the tree and write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.areas.geometry import validate_geometry
from linli.areas.models import Area, AreaKind
from linli.core.errors import ValidationFailed

GEOMETRY_HELP = _("Optional. A GeoJSON Point, Polygon or MultiPolygon (or a Feature holding one), longitude first.")


class GeometryField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"})

    def clean(self, value: Any) -> dict[str, Any] | None:
        text = super().clean(value)
        try:
            return validate_geometry(text)
        except ValidationFailed as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


def geometry_text(geometry: dict[str, Any] | None) -> str:
    return json.dumps(geometry, ensure_ascii=False) if geometry else ""


class AreaForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    geometry = GeometryField(label=_("GeoJSON geometry"), required=False, help_text=GEOMETRY_HELP)

    @classmethod
    def for_area(cls, area: Area, data: Any = None) -> AreaForm:
        initial = {"code": area.code, "name": area.name, "geometry": geometry_text(area.geometry)}
        return cls(data, initial=initial, prefix="edit")


class ChildAreaForm(forms.Form):
    kind = forms.TypedChoiceField(label=_("Kind"), coerce=int, choices=())
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    geometry = GeometryField(label=_("GeoJSON geometry"), required=False, help_text=GEOMETRY_HELP)

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
