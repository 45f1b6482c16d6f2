"""Every list page of Linli, in one place, for the 360 px phone walk in ``test_browser.py``.

A module that adds a list page adds a ``ListPage`` here: who looks at it (a demo username from
``linli demo``; ``None`` for a public page) and its path, or a callable giving the path when it needs
an object's id. The browser test loads the demo street (plus an issued letter and an API token),
signs in as each identity and fails when any page scrolls sideways at 360 px, in Chinese and
English, standard and elderly mode. It also fails when a template using the list pattern
(``list-table``) was not rendered by any page here, unless ``NOT_WALKED`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class ListPage:
    who: str | None  # demo username; None: not signed in
    path: str | Callable[[], str]

    def url(self) -> str:
        return self.path if isinstance(self.path, str) else self.path()


def _worker_community() -> str:
    from linli.accounts.models import RoleAssignment

    return f"/areas/{RoleAssignment.objects.get(user__username='demo-worker').area_id}/"


def _a_notice_of_the_worker() -> str:
    from linli.notices.models import Notice

    community = _worker_community().split("/")[2]
    notice = Notice.objects.filter(status="published", area_path__contains=f"/{community}/").order_by("id").first()
    assert notice is not None
    return f"/notices/{notice.pk}/"  # read counts per grid


def _the_residents_board() -> str:
    from linli.accounts.models import DwellingLink
    from linli.areas.models import Area, AreaKind

    path = DwellingLink.objects.filter(user__username="demo-resident").values_list("area_path", flat=True)[0]
    ids = [int(part) for part in path.strip("/").split("/")]
    return f"/notices/board/{Area.objects.get(pk__in=ids, kind=AreaKind.COMMUNITY).pk}/"


def _a_staff_account() -> str:
    from linli.accounts.models import User

    return f"/accounts/staff/{User.objects.get(username='demo-worker').pk}/"


LIST_PAGES: list[ListPage] = [
    ListPage("demo-resident", "/notifications/"),
    ListPage("demo-resident", "/accounts/"),  # signed-in devices
    ListPage("demo-worker", "/workbench/"),
    ListPage("demo-worker", "/residents/"),
    ListPage("demo-worker", "/residents/letters/"),
    ListPage("demo-worker", "/privacy/my-reveals/"),
    ListPage("demo-worker", "/areas/"),
    ListPage("demo-worker", _worker_community),  # its sub-areas
    ListPage("demo-secadmin", "/accounts/staff/"),
    ListPage("demo-secadmin", _a_staff_account),  # its roles
    ListPage("demo-sysadmin", "/accounts/tokens/"),
    ListPage("demo-auditor", "/audit/"),
    ListPage("demo-resident", "/notices/"),
    ListPage("demo-worker", "/notices/staff/"),
    ListPage("demo-worker", _a_notice_of_the_worker),
    ListPage(None, "/notices/board/"),
    ListPage(None, _the_residents_board),
    ListPage(None, "/dev/sms/"),
    ListPage(None, "/dev/authenticator/"),
]

# Templates using the list pattern that the walk cannot reach, with the reason.
NOT_WALKED: dict[str, str] = {
    str(Path(settings.BASE_DIR) / "linli/areas/templates/areas/import_preview.html"): "needs an uploaded spreadsheet",
}
