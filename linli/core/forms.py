"""Form rendering shared by every module: each field states its limits before the user types.

``FORM_RENDERER`` points at :class:`LinliFormRenderer`, so every form's bound fields are
:class:`LinliBoundField`. ``field.requirements`` names the field's minimum in words ("At least 4
characters."); ``field.description`` is the help text followed by it, shown as ``<id>_helptext``
by the shared ``_field.html`` templates. The widget's ``aria-describedby`` names that text and the
error list (``<id>_error``), so screen readers read both with the field.
"""

from __future__ import annotations

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.translation import get_language, ngettext


class LinliBoundField(BoundField):
    @property
    def requirements(self) -> str:
        """The field's minimum in words, or "" when it has none worth stating (one character)."""
        min_length: int | None = getattr(self.field, "min_length", None)
        if not min_length or min_length < 2:
            return ""
        if getattr(self.field, "max_length", None) == min_length:
            return ngettext("Exactly %(count)s character.", "Exactly %(count)s characters.", min_length) % {
                "count": min_length
            }
        return ngettext("At least %(count)s character.", "At least %(count)s characters.", min_length) % {
            "count": min_length
        }

    @property
    def description(self) -> str:
        """The help text followed by the minimum: what ``<id>_helptext`` says."""
        parts = [str(part) for part in (self.help_text, self.requirements) if part]
        separator = "" if (get_language() or "").startswith("zh") else " "
        return separator.join(parts)

    @property
    def aria_describedby(self) -> str | None:
        if self.field.widget.attrs.get("aria-describedby"):
            return None
        described_by = []
        if self.auto_id and not self.is_hidden:
            if self.help_text or self.requirements:
                described_by.append(f"{self.auto_id}_helptext")
            if self.errors:
                described_by.append(f"{self.auto_id}_error")
        return " ".join(described_by)


class LinliFormRenderer(DjangoTemplates):
    bound_field_class = LinliBoundField
