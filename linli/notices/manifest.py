"""Community notices manifest: navigation for residents and staff, workbench tasks (scheduled
notices, notices read by few), the resident home card and the demo notices."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import HomeCard, ModuleManifest, NavigationEntry, register
from linli.notices.demo import load_demo_notices
from linli.notices.home import latest_notices
from linli.notices.workbench import notices_with_low_read_rates, scheduled_notices

manifest = register(
    ModuleManifest(
        name="notices",
        label=_("Community notices"),
        navigation=[
            NavigationEntry(
                "notices:mine", _("Notices"), "resident", rule="notices.read_notices", icon="megaphone", order=25
            ),
            NavigationEntry(
                "notices:staff_list", _("Notices"), "staff", rule="notices.view_notices", icon="megaphone", order=40
            ),
        ],
        workbench_tasks=[scheduled_notices, notices_with_low_read_rates],
        home_cards=[
            HomeCard(
                "latest_notices",
                "notices/_home_card.html",
                latest_notices,
                rule="notices.read_notices",
                order=95,
            )
        ],
        demo_loader=load_demo_notices,
        demo_order=20,
    )
)
