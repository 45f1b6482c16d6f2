"""The Jinja2 environment of the second template backend (``TEMPLATES["jinja2"]``), used only for
the rows of hot lists and the workbench (decision 0011): a Django template costs ≈ 65 µs per card or
table row here, the same fragment in Jinja2 ≈ 10 µs. Pages and the shell stay Django templates; a
view renders the rows with ``render_rows`` and hands the HTML to its page.

Autoescaping is on (the backend's default, kept explicitly), so the returned HTML is safe to mark
safe. Translations use Django's catalogues (``{{ _("…") }}``, ``{% trans %}``), though views pass
the few labels a row needs already translated (translated once per page, not once per row).
"""

from __future__ import annotations

from typing import Any

from django.template import engines
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment


def environment(**options: Any) -> Environment:
    options["autoescape"] = True
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    env = Environment(**options)  # noqa: S701 - autoescape is forced on just above
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    return env


def render_rows(template_name: str, context: dict[str, Any]) -> SafeString:
    """Render a Jinja2 row fragment (``<app>/jinja2/<template_name>``) to HTML for a Django page."""
    template = engines["jinja2"].get_template(template_name)
    return mark_safe(template.render(context))  # noqa: S308 - Jinja2 autoescaped every value
