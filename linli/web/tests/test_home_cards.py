"""The resident home is built from the cards the registered modules contribute (house rule 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli import testing
from linli.accounts.models import DwellingLink, DwellingLinkStatus, Role
from linli.core import registry
from linli.notify.actions import do_send_notification

pytestmark = pytest.mark.django_db


def card_names(response: Any) -> list[str]:
    return [card["name"] for card in response.context["cards"]]


def test_cards_come_from_the_registry_in_their_order() -> None:
    names = [card.name for card in registry.home_cards()]
    assert names[:2] == ["my_home", "latest_messages"]
    assert [card.order for card in registry.home_cards()] == sorted(card.order for card in registry.home_cards())


def test_a_new_resident_sees_the_home_card_and_no_empty_messages_card(make_resident: Any) -> None:
    resident = make_resident()
    response = testing.client_for(resident).get("/home/")

    assert response.status_code == 200
    assert card_names(response) == ["my_home"]
    page = response.content.decode()
    assert "我的房屋" in page and "您的账号尚未绑定房屋" in page
    assert "最新消息" not in page


def test_latest_messages_show_the_three_newest_with_a_link_to_the_inbox(make_resident: Any) -> None:
    resident = make_resident()
    for number in range(1, 5):
        do_send_notification(resident, title=f"停水通知第{number}期", body="明天上午停水。")

    response = testing.client_for(resident).get("/home/")

    assert card_names(response) == ["my_home", "latest_messages"]
    page = response.content.decode()
    assert [f"停水通知第{number}期" in page for number in (4, 3, 2, 1)] == [True, True, True, False]
    assert page.count("未读") >= 3
    assert 'href="/notifications/"' in page


def test_a_card_whose_rule_the_user_lacks_is_not_rendered(make_resident: Any, monkeypatch: Any) -> None:
    called: list[str] = []

    def context(request: Any) -> dict[str, Any]:
        called.append(request.user.username)
        return {}

    manifest = registry.ModuleManifest(
        name="test_cards",
        label="test",
        home_cards=[
            registry.HomeCard("staff_only", "notify/_home_card.html", context, rule="accounts.use_workbench", order=5)
        ],
    )
    monkeypatch.setitem(registry._modules, "test_cards", manifest)
    response = testing.client_for(make_resident()).get("/home/")

    assert response.status_code == 200
    assert "staff_only" not in card_names(response)
    assert called == []  # the context is not even computed


def test_staff_get_no_resident_home(tree: Any, make_staff: Any) -> None:
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    assert testing.client_for(staff).get("/home/").status_code == 404


def test_query_count_is_pinned_and_does_not_grow(make_resident: Any, tree: Any) -> None:
    """The session row with the user and their session record (one query); the resident's links and
    their addresses; the places they live for the notices card and its notices; the latest
    messages; the unread badge: seven queries however many homes and messages there are."""
    resident = make_resident()
    DwellingLink.objects.create(
        user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path, status=DwellingLinkStatus.VERIFIED
    )
    do_send_notification(resident, title="欢迎", body="欢迎使用邻里。")
    client = testing.client_for(resident)
    client.get("/home/")  # the process reads a new session once; later requests in one query
    with CaptureQueriesContext(connection) as few:
        assert client.get("/home/").status_code == 200
    for dwelling in (tree.dwelling_a2, tree.dwelling_b1):
        DwellingLink.objects.create(
            user=resident, dwelling=dwelling, area_path=dwelling.path, status=DwellingLinkStatus.PENDING
        )
    for number in range(10):
        do_send_notification(resident, title=f"通知{number}", body="内容")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/home/").content.decode()
    assert (len(few), len(many)) == (7, 7)
    assert page.count("101室") == 3
