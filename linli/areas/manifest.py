"""Areas module manifest: the jurisdiction tree for staff."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import ModuleManifest, NavigationEntry, register

manifest = register(
    ModuleManifest(
        name="areas",
        label=_("Areas"),
        navigation=[
            NavigationEntry("areas:tree", _("Jurisdiction"), "staff", rule="areas.view_area", icon="map", order=20)
        ],
    )
)
