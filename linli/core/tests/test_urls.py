"""core.urls.id_url: the same URL as reverse() per id, with one reverse per call site."""

from __future__ import annotations

from django.urls import reverse

from linli.core.urls import id_url


def test_id_url_matches_reverse_for_every_id() -> None:
    url = id_url("notices:detail", "notice_id")
    for value in (1, 42, 999999999, 1234567890123):
        assert url(value) == reverse("notices:detail", kwargs={"notice_id": value})
    residents = id_url("residents:detail", "link_id")
    assert residents(7) == reverse("residents:detail", kwargs={"link_id": 7})
