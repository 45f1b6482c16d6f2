"""The shell's invariant fragments are rendered once per process and key ({% shellcache %}); nothing
per user or per request may come out of that cache: the unread count, the CSRF token, the current
path, the navigation of another role set, the language."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli import testing
from linli.accounts.models import Role
from linli.notify.actions import do_send_notification
from linli.web.templatetags import linli_shell

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span id="unread-badge-count" class="badge"[^>]*>(\d+)</span>')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')


def navigation_links(html: str) -> list[str]:
    if '<nav class="mainnav"' not in html:
        return []
    menu = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', menu)


def test_unread_count_token_and_path_are_per_request() -> None:
    linli_shell.clear()
    tree = testing.build_tree()
    first = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    second = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    for number in range(3):
        do_send_notification(first, title=f"通知{number}", body="正文")
    first_client, second_client = testing.client_for(first), testing.client_for(second)

    first_page = first_client.get("/residents/").content.decode()
    second_page = second_client.get("/residents/").content.decode()
    second_other_path = second_client.get("/residents/letters/").content.decode()

    assert BADGE.findall(first_page) == ["3"]
    assert BADGE.findall(second_page) == []
    assert 'id="unread-badge"' in second_page  # the empty badge is still there for htmx to fill
    assert TOKEN.findall(first_page) and TOKEN.findall(second_page)
    assert TOKEN.findall(first_page)[0] != TOKEN.findall(second_page)[0]
    assert NEXT.findall(first_page) == ["/residents/"]
    assert NEXT.findall(second_other_path) == ["/residents/letters/"]


def test_navigation_follows_roles_and_the_current_page() -> None:
    linli_shell.clear()
    tree = testing.build_tree()
    worker = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    grid_worker = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    worker_menu = navigation_links(testing.client_for(worker).get("/workbench/").content.decode())
    grid_menu = navigation_links(testing.client_for(grid_worker).get("/workbench/").content.decode())
    letters = testing.client_for(worker).get("/residents/letters/").content.decode()

    assert "/residents/letters/" in worker_menu
    assert "/residents/letters/" not in grid_menu  # letters are for community workers only
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', letters) == ["/residents/letters/"]


def test_language_and_elderly_mode_select_their_own_fragments() -> None:
    linli_shell.clear()
    tree = testing.build_tree()
    staff = testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    client = testing.client_for(staff)

    chinese = client.get("/workbench/").content.decode()
    client.post(reverse("accounts:preferences"), {"language": "en", "elderly_mode": "1", "next": "/workbench/"})
    english = client.get("/workbench/").content.decode()

    assert '<html lang="zh-Hans" class="">' in chinese and "跳到正文" in chinese
    assert '<html lang="en" class="elderly">' in english
    assert "Skip to content" in english and "My account" in english
    assert "Skip to content" not in chinese
