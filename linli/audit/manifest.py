"""Audit module manifest: the audit viewer, for the audit administrator only."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import ModuleManifest, NavigationEntry, register

manifest = register(
    ModuleManifest(
        name="audit",
        label=_("Audit"),
        navigation=[
            NavigationEntry("audit:events", _("Audit log"), "staff", rule="audit.view_events", icon="shield", order=90)
        ],
    )
)
