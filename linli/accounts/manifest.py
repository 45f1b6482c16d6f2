"""Accounts module manifest: staff and resident account pages, verification tasks."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import ModuleManifest, register

manifest = register(ModuleManifest(name="accounts", label=_("Accounts")))
