"""The audit viewer's filter form."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.audit import labels
from linli.audit.models import Outcome
from linli.audit.selectors import EventFilters


class DateInput(forms.DateInput):
    input_type = "date"


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("User name"), max_length=150, required=False)
    event_type = forms.ChoiceField(label=_("Event type"), required=False)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object ID"), max_length=64, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", _("Any outcome")), *Outcome.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput(format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput(format="%Y-%m-%d"))

    def __init__(
        self, *args: Any, event_types: list[str], object_types: list[str] | None = None, **kwargs: Any
    ) -> None:
        """Choices show translated labels (grouped by category for event types); the values stay
        the stored codes."""
        super().__init__(*args, **kwargs)
        event_choices: list[Any] = [("", _("Any event type")), *labels.event_type_choices(event_types)]
        self.fields["event_type"].choices = event_choices  # type: ignore[attr-defined]
        object_choices: list[Any] = [("", _("Any object type")), *labels.object_type_choices(object_types or [])]
        self.fields["object_type"].choices = object_choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> EventFilters:
        """The validated filter; dates are whole local days (``To`` includes its day)."""
        data = self.cleaned_data
        return EventFilters(
            actor=data.get("actor", "").strip(),
            event_type=data.get("event_type", ""),
            object_type=data.get("object_type", "").strip(),
            object_id=data.get("object_id", "").strip(),
            outcome=data.get("outcome", ""),
            created_from=_start_of(data.get("date_from")),
            created_before=_start_of(data["date_to"] + datetime.timedelta(days=1)) if data.get("date_to") else None,
        )

    def query_items(self) -> list[tuple[str, str]]:
        """The non-empty filter values, for links and the export form."""
        if not self.is_bound or not self.is_valid():
            return []
        return [
            (name, str(self.data.get(name, "")).strip()) for name in self.fields if str(self.data.get(name, "")).strip()
        ]


def _start_of(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
