"""Unbound forms' fields are rendered once per template, language, prefix and key; bound forms
(values, errors) always afresh."""

from __future__ import annotations

from django.utils import translation

from linli.accounts.forms_residents import ReasonForm
from linli.core import fragments

TEMPLATE = "accounts/residents/_reason_fields.html"


def test_unbound_fields_are_reused_per_language_and_prefix() -> None:
    fragments._HTML.clear()
    with translation.override("en"):
        first = fragments.form_fields_html(TEMPLATE, ReasonForm(prefix="reject"))
        again = fragments.form_fields_html(TEMPLATE, ReasonForm(prefix="reject"))
        revoke = fragments.form_fields_html(TEMPLATE, ReasonForm(prefix="revoke"))
    with translation.override("zh-hans"):
        chinese = fragments.form_fields_html(TEMPLATE, ReasonForm(prefix="reject"))

    assert again is first and 'name="reject-reason"' in first
    assert 'name="revoke-reason"' in revoke and 'name="reject-reason"' not in revoke
    assert chinese != first and len(fragments._HTML) == 3


def test_bound_fields_show_their_value_and_error_and_are_not_kept() -> None:
    fragments._HTML.clear()
    bound = ReasonForm({"reject-reason": "<"}, prefix="reject")  # shorter than the minimum
    bound.is_valid()
    with translation.override("en"):
        html = fragments.form_fields_html(TEMPLATE, bound)

    assert "&lt;</textarea>" in html
    assert 'class="field-errors"' in html
    assert fragments._HTML == {}
