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


class ChangePasswordForm(forms.Form):
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            raise ValidationError(_("The two new passwords differ."), code="password_mismatch")
        return data


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(choices=[("zh-hans", "简体中文"), ("en", "English")], required=False)
    elderly_mode = forms.ChoiceField(choices=[("0", "off"), ("1", "on")], required=False)
    notify_by_sms = forms.BooleanField(required=False)
    notify_by_email = forms.BooleanField(required=False)
    email = forms.EmailField(required=False)
