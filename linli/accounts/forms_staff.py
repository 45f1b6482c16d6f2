"""Forms of the staff administration pages: parsing only; the actions validate the rules (password
policy, separation of duties, remit) and the views show their refusals on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from linli.accounts.forms import PasswordPairMixin
from linli.accounts.models import Role
from linli.areas.models import Area, Department


class StaffFilterForm(forms.Form):
    text = forms.CharField(label=_("Name or username"), required=False, max_length=64)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices])
    area = forms.ModelChoiceField(label=_("Area"), required=False, queryset=Area.objects.none())
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("active", _("active")), ("disabled", _("disabled"))],
    )

    def __init__(self, *args: Any, areas: QuerySet[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class CreateStaffForm(PasswordPairMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=64,
        help_text=_("3–64 lower-case letters, digits, dots, dashes or underscores."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    display_name = forms.CharField(
        label=_("Full name"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("Mobile number (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("Initial password"),
        max_length=256,
        help_text=_("The new colleague must change it at first sign-in. Give it to them in person."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Initial password again"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ResetPasswordForm(PasswordPairMixin, forms.Form):
    password = forms.CharField(
        label=_("New initial password"),
        max_length=256,
        help_text=_("They must change it at their next sign-in."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("New initial password again"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), min_length=4, max_length=200)


class AssignRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Choose a role")), *Role.choices])
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    department = forms.ModelChoiceField(
        label=_("Department (department officers only)"), required=False, queryset=Department.objects.none()
    )

    def __init__(self, *args: Any, areas: QuerySet[Area], departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class RevokeRoleForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=200)
