"""Accounts module manifest: resident home links (navigation, the "My home" card, verification
tasks), staff and roles, API tokens."""

from django.utils.translation import gettext_lazy as _

from linli.accounts.home import my_home
from linli.accounts.workbench import pending_dwelling_links
from linli.core.registry import HomeCard, ModuleManifest, NavigationEntry, register
from linli.privacy.inventory import Category, LegalBasis, PersonalField, declare

manifest = register(
    ModuleManifest(
        name="accounts",
        label=_("Accounts"),
        navigation=[
            NavigationEntry(
                "residents:link_dwelling",
                _("Link a home"),
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
            # Staff administration (system and security administrators).
            NavigationEntry(
                "accounts:staff_list",
                _("Staff and roles"),
                "staff",
                rule="accounts.view_staff",
                icon="people",
                order=80,
                elderly=False,
            ),
            # API tokens for machine clients (system administrator).
            NavigationEntry(
                "api_tokens:list",
                _("API tokens"),
                "staff",
                rule="accounts.manage_api_tokens",
                icon="key",
                order=86,
                elderly=False,
            ),
        ],
        workbench_tasks=[pending_dwelling_links],
        home_cards=[
            HomeCard(
                "my_home",
                "accounts/home/_dwelling_card.html",
                my_home,
                rule="accounts.use_resident_services",
                order=10,
            )
        ],
    )
)

# Personal data added after the foundation's inventory (linli.privacy.inventory): the evidence a
# resident attaches to a home-link request. A 房产证 or 租赁合同 shows the holder's name, ID number
# and address, so it is inventoried as sensitive (the ID-number category).
declare(
    PersonalField(
        "accounts.dwellingevidence",
        "content",
        Category.ID_NUMBER,
        LegalBasis.CONTRACT,
        _("until the home link is decided or withdrawn"),
        _("proof of residence for verifying a home link"),
    )
)
