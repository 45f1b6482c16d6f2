"""HTML of unbound forms, rendered once per process, template, language and key.

An unbound form shows nothing but its labels, help texts, limits and choices — no value, no error,
nothing personal — so its fields' HTML is the same for everyone who gets the same choices. Lean
pages (decision 0011) render it once and reuse it: a form field through the shared ``_field.html``
include costs ≈ 0.1–0.2 ms a page. A bound form is always rendered afresh. ``key`` must name
everything else the HTML depends on (e.g. the choices of a select, when they vary by actor)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

CACHE_SIZE = 512
_HTML: dict[tuple[Any, ...], SafeString] = {}


def form_fields_html(template_name: str, form: Any, key: tuple[Any, ...] = ()) -> SafeString:
    """``template_name`` rendered with ``{"form": form}``; cached while the form is unbound."""
    if form.is_bound:
        return render_to_string(template_name, {"form": form})
    full_key = (template_name, get_language(), form.prefix, *key)
    html = _HTML.get(full_key)
    if html is None:
        html = render_to_string(template_name, {"form": form})
        if len(_HTML) >= CACHE_SIZE:
            _HTML.clear()
        _HTML[full_key] = html
    return html
