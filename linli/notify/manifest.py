"""Notification centre manifest: the inbox in everyone's navigation."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import ModuleManifest, NavigationEntry, register

manifest = register(
    ModuleManifest(
        name="notify",
        label=_("Notifications"),
        navigation=[
            NavigationEntry(url_name="notify:inbox", label=_("Messages"), audience="any", icon="bell", order=90)
        ],
    )
)
