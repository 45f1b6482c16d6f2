"""Accounts module manifest: staff and resident account pages, verification tasks."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import ModuleManifest, register

manifest = register(ModuleManifest(name="accounts", label=_("Accounts")))

# Resident home links: navigation and the "verify home links" workbench tasks.
from linli.accounts.workbench import pending_dwelling_links  # noqa: E402
from linli.core.registry import NavigationEntry  # noqa: E402

manifest.navigation.extend(
    [
        NavigationEntry(
            "residents:link_dwelling",
            _("Link my home"),
            "resident",
            rule="accounts.use_resident_services",
            icon="home",
            order=20,
        ),
        NavigationEntry(
            "residents:list", _("Residents"), "staff", rule="accounts.view_residents", icon="people", order=30
        ),
        NavigationEntry(
            "residents:letters",
            _("Verification letters"),
            "staff",
            rule="accounts.issue_letter",
            icon="mail",
            order=35,
            elderly=False,
        ),
    ]
)
manifest.workbench_tasks.append(pending_dwelling_links)

# Staff administration (system and security administrators).
from linli.core.registry import NavigationEntry as StaffNavigationEntry  # noqa: E402

manifest.navigation.append(
    StaffNavigationEntry(
        "accounts:staff_list",
        _("Staff and roles"),
        "staff",
        rule="accounts.view_staff",
        icon="people",
        order=80,
        elderly=False,
    )
)

# API tokens for machine clients (system administrator).
from linli.core.registry import NavigationEntry as TokenNavigationEntry  # noqa: E402

manifest.navigation.append(
    TokenNavigationEntry(
        "api_tokens:list",
        _("API tokens"),
        "staff",
        rule="accounts.manage_api_tokens",
        icon="key",
        order=86,
        elderly=False,
    )
)
