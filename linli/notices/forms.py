"""Forms of community notices: parsing and field validation only; the actions write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from linli.areas.models import Area, AreaKind
from linli.core.errors import LinliError
from linli.core.widgets import LeanSelect
from linli.notices import files as notice_files
from linli.notices.actions import BODY_MAX, REASON_MAX, REASON_MIN, TITLE_MAX
from linli.notices.models import NoticeStatus, Urgency

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each one is checked by content (``files.check_upload``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[notice_files.CheckedFile]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        checked = []
        for upload in uploads:
            try:
                checked.append(notice_files.check_upload(upload.name, upload.size, upload.read))
            except LinliError as error:
                raise ValidationError(str(error.message), code=error.code) from None
        try:
            notice_files.check_counts(checked)
        except LinliError as error:
            raise ValidationError(str(error.message), code=error.code) from None
        return checked


def _indent(area: Area) -> str:
    kind_depth = {AreaKind.STREET: 0, AreaKind.COMMUNITY: 1, AreaKind.GRID: 2, AreaKind.ESTATE: 3}
    return "\u3000" * kind_depth.get(AreaKind(area.kind), 0)


class NoticeTextForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        help_text=_("Urgent notices also go out by SMS or e-mail, as each resident chose."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set per request (in the request's language): a lazy string with %-placeholders is
        # interpolated at once, in the language active when the module was imported.
        self.fields["title"].help_text = gettext("At most %(count)s characters.") % {"count": TITLE_MAX}
        self.fields["body"].help_text = gettext("Plain text; line breaks are kept. At most %(count)s characters.") % {
            "count": BODY_MAX
        }


class PublishForm(NoticeTextForm):
    area = forms.TypedChoiceField(
        label=pgettext_lazy("notice recipients", "To"),
        coerce=int,
        help_text=_("Residents with a verified home there receive it."),
    )
    building = forms.TypedChoiceField(
        label=_("Only one building (optional)"), coerce=int, required=False, empty_value=None
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Publish now")), ("later", _("At a set time"))],
        initial="now",
        widget=forms.RadioSelect,
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at (Beijing time)"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    attachments = MultipleFileField(label=_("Images and documents"))

    field_order = ["area", "building", "title", "body", "urgency", "when", "publish_at", "attachments"]

    def __init__(self, *args: Any, areas: list[Area], buildings: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", _("Choose…"))] + [
            (area.pk, f"{_indent(area)}{area.name}（{area.kind_label}）") for area in areas
        ]
        cast(forms.ChoiceField, self.fields["building"]).choices = [("", _("The whole area"))] + [
            (area.pk, area.name) for area in buildings
        ]
        self.fields["attachments"].widget.attrs["accept"] = ".jpg,.jpeg,.png,.pdf,.docx,.xlsx"
        self.fields["attachments"].help_text = gettext(
            "Up to %(images)s images (JPEG or PNG, %(image_mb)s MB each) and %(documents)s documents "
            "(PDF, Word or Excel, %(document_mb)s MB each). Photo metadata such as location is removed."
        ) % {
            "images": notice_files.MAX_IMAGES,
            "image_mb": notice_files.IMAGE_MAX_BYTES // (1024 * 1024),
            "documents": notice_files.MAX_DOCUMENTS,
            "document_mb": notice_files.DOCUMENT_MAX_BYTES // (1024 * 1024),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "later" and not data.get("publish_at"):
            self.add_error("publish_at", _("Choose the date and time of publication."))
        return data


class CorrectForm(NoticeTextForm):
    reason = forms.CharField(
        label=_("What was corrected and why"),
        min_length=REASON_MIN,
        max_length=REASON_MAX,
    )
    notify_recipients = forms.BooleanField(label=_("Tell the residents who received it"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = gettext("Between %(min)s and %(max)s characters; residents see it.") % {
            "min": REASON_MIN,
            "max": REASON_MAX,
        }


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        min_length=REASON_MIN,
        max_length=REASON_MAX,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = gettext(
            "Between %(min)s and %(max)s characters; residents who received it see it."
        ) % {"min": REASON_MIN, "max": REASON_MAX}


class StaffFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *NoticeStatus.choices], widget=LeanSelect
    )
