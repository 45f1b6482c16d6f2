"""The lean widgets render the same HTML as Django's templates (whitespace aside), every value escaped."""

from __future__ import annotations

import re

from django import forms

from linli.core.widgets import LeanSelect, LeanTextInput


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


class Sample(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All"), ("a", '<b>"A" & co</b>'), ("b", "B")], required=False, widget=LeanSelect
    )
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X"), ("y", "Y")])], widget=LeanSelect)
    text = forms.CharField(max_length=20, required=False, widget=LeanTextInput(attrs={"autocomplete": "off"}))


def _as_django(bound: forms.BoundField) -> str:
    widget = bound.field.widget
    lean_class = type(widget)
    widget.__class__ = forms.Select if lean_class is LeanSelect else forms.TextInput
    try:
        return str(bound)
    finally:
        widget.__class__ = lean_class


def test_lean_widgets_match_djangos_html() -> None:
    for data in (None, {"kind": "a", "grouped": "y", "text": '"><script>alert(1)</script>'}):
        form = Sample(data)
        form.is_valid()
        for bound in form:
            assert _squeeze(str(bound)) == _squeeze(_as_django(bound)), bound.name


def test_lean_widgets_escape_labels_and_values() -> None:
    form = Sample({"kind": "a", "grouped": "x", "text": '"><script>'})
    html = str(form["kind"]) + str(form["grouped"]) + str(form["text"])

    assert "<b>" not in html and "&lt;b&gt;&quot;A&quot; &amp; co&lt;/b&gt;" in html
    assert '<optgroup label="Group &lt;1&gt;">' in html
    assert 'value="&quot;&gt;&lt;script&gt;"' in html
    assert '<option value="a" selected>' in html
