"""Forms for sign-in and account pages: parsing and validation only, no writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from linli.privacy.validators import validate_phone


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError(_("The code has 6 digits."), code="code_format")
        return code


class PasswordLoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"), max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ReauthenticateForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("One-time code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordPairMixin:
    """Two password fields that must match: the fields named ``first_field_name`` and ``second_field_name``."""

    first_field_name = "password"
    second_field_name = "password_again"
    mismatch_message: Any = _("The two passwords differ.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # type: ignore[misc]
        first = data.get(self.first_field_name)
        if first and first != data.get(self.second_field_name):
            raise ValidationError(self.mismatch_message, code="password_mismatch")
        return dict(data)


class ChangePasswordForm(PasswordPairMixin, forms.Form):
    first_field_name = "new_password"
    second_field_name = "new_password_again"
    mismatch_message = _("The two new passwords differ.")

    old_password = forms.CharField(
        label=_("Current password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"), max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class EnrolmentLinkForm(forms.Form):
    """The enrolment link pasted by hand (the whole link or its last part)."""

    link = forms.CharField(
        label=_("Enrolment link"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )

    def clean_link(self) -> str:
        text = self.cleaned_data["link"].strip().rstrip("/")
        return text.rsplit("/", 1)[-1]


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(choices=[("zh-hans", "简体中文"), ("en", "English")], required=False)
    elderly_mode = forms.ChoiceField(choices=[("0", "off"), ("1", "on")], required=False)
    notify_by_sms = forms.BooleanField(required=False)
    notify_by_email = forms.BooleanField(required=False)
