"""The resident home's "My home" card: a verified or pending home is shown without a stray dash,
and the big "Link my home" invitation appears only while the resident has no such home."""

from __future__ import annotations

import re
from typing import Any

import pytest

from linli import testing
from linli.accounts.models import DwellingLink, DwellingLinkStatus

pytestmark = pytest.mark.django_db

INVITE = '<a class="button primary" href="/residents/link/">绑定我的房屋</a>'
ANOTHER = '<a href="/residents/link/">绑定其他房屋</a>'


def home_card(resident: Any) -> str:
    page = testing.client_for(resident).get("/home/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    match = re.search(r'<section class="card" aria-labelledby="home-dwelling">.*?</section>', page, re.DOTALL)
    assert match is not None
    return match.group(0)


@pytest.mark.parametrize("status", [DwellingLinkStatus.VERIFIED, DwellingLinkStatus.PENDING])
def test_a_resident_with_a_home_is_offered_only_another_home(tree: Any, make_resident: Any, status: str) -> None:
    resident = make_resident()
    DwellingLink.objects.create(
        user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path, status=status
    )

    card = home_card(resident)

    assert "101室" in card
    assert "—" not in card
    assert INVITE not in card and "尚未绑定房屋" not in card
    assert ANOTHER in card


def test_a_resident_without_an_open_home_is_invited_to_link_one(tree: Any, make_resident: Any) -> None:
    resident = make_resident()
    DwellingLink.objects.create(
        user=resident, dwelling=tree.dwelling_a1, area_path=tree.dwelling_a1.path, status=DwellingLinkStatus.REJECTED
    )

    card = home_card(resident)

    assert "101室" in card and "—" not in card
    assert INVITE in card and "尚未绑定房屋" in card
    assert ANOTHER not in card


def test_a_new_resident_is_invited_to_link_a_home(make_resident: Any) -> None:
    card = home_card(make_resident())

    assert INVITE in card and ANOTHER not in card
