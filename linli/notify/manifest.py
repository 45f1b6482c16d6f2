"""Notification centre manifest: the inbox in everyone's navigation, the latest messages on the
resident home."""

from django.utils.translation import gettext_lazy as _

from linli.core.registry import HomeCard, ModuleManifest, NavigationEntry, register
from linli.notify.home import latest_messages

manifest = register(
    ModuleManifest(
        name="notify",
        label=_("Notifications"),
        navigation=[
            NavigationEntry(url_name="notify:inbox", label=_("Messages"), audience="any", icon="bell", order=90)
        ],
        home_cards=[HomeCard("latest_messages", "notify/_home_card.html", latest_messages, order=90)],
    )
)
