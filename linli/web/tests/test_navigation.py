"""The main navigation marks exactly one entry as the current page: the one with the longest
matching URL (``/residents/letters/`` lies under ``/residents/``)."""

from __future__ import annotations

import re

import pytest

from linli import testing
from linli.accounts.models import Role

pytestmark = pytest.mark.django_db

CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">')


def current_entries(html: str) -> list[str]:
    navigation = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return CURRENT.findall(navigation)


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/residents/letters/", ["/residents/letters/"]),
        ("/residents/", ["/residents/"]),
        ("/areas/", ["/areas/"]),
        ("/workbench/", []),
    ],
)
def test_one_navigation_entry_is_current(path: str, current: list[str]) -> None:
    tree = testing.build_tree()
    staff = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)

    response = testing.client_for(staff).get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/residents/letters/"' in html and 'href="/residents/"' in html
    assert current_entries(html) == current
