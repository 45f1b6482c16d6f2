"""Every form field states its minimum before the user types, and the widget names its help text
and its errors in aria-describedby (the shared ``_field.html`` templates of accounts and areas)."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import translation

from linli.accounts.forms_residents import RevealForm
from linli.core.forms import LinliBoundField


class CodeLikeForm(forms.Form):
    code = forms.CharField(label="Code", min_length=6, max_length=6)
    note = forms.CharField(label="Note", required=False, max_length=50)


FIELD_TEMPLATES = ["accounts/_field.html", "areas/_field.html"]


@pytest.mark.parametrize("template", FIELD_TEMPLATES)
def test_the_minimum_is_stated_with_the_help_text_before_typing(template: str) -> None:
    form = RevealForm()

    with translation.override("en"):
        html = render_to_string(template, {"field": form["reason"]})

    assert isinstance(form["reason"], LinliBoundField)
    assert 'aria-describedby="id_reason_helptext"' in html
    assert (
        '<span class="helptext" id="id_reason_helptext">Recorded in the audit log. At least 4 characters.</span>'
        in html
    )
    assert "aria-invalid" not in html
    assert "errorlist" not in html


@pytest.mark.parametrize("template", FIELD_TEMPLATES)
def test_errors_sit_next_to_the_field_and_are_named_by_it(template: str) -> None:
    form = RevealForm(data={"reason": "ab"})

    assert form.is_valid() is False
    with translation.override("zh-hans"):
        html = render_to_string(template, {"field": form["reason"]})

    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_reason_helptext id_reason_error"' in html
    assert '<span class="helptext" id="id_reason_helptext">将记入审计日志。至少 4 个字符。</span>' in html
    assert '<div class="field-errors" role="alert" id="id_reason_error"><ul class="errorlist"><li>' in html


def test_an_exact_length_says_exactly_and_a_field_without_limits_says_nothing() -> None:
    form = CodeLikeForm()

    with translation.override("en"):
        code_html = render_to_string("accounts/_field.html", {"field": form["code"]})
        note_html = render_to_string("accounts/_field.html", {"field": form["note"]})

    assert '<span class="helptext" id="id_code_helptext">Exactly 6 characters.</span>' in code_html
    assert 'aria-describedby="id_code_helptext"' in code_html
    assert "helptext" not in note_html
    assert "aria-describedby" not in note_html
