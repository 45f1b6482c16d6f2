"""The benchmark report: ratio, target direction, void results and the Markdown table."""

from __future__ import annotations

from bench.report import Result, markdown_table


def test_ratio_and_targets() -> None:
    slower = Result("B0", "build", "s", ours=3.0, baseline=1.0, target="≤ 2.0×", higher_is_better=False, limit=2.0)
    assert slower.ratio == 3.0 and slower.met is False
    faster = Result("B1", "page", "req/s", ours=600, baseline=1000, target="≥ 0.5×", higher_is_better=True, limit=0.5)
    assert faster.ratio == 0.6 and faster.met is True
    void = Result("B1", "page", "req/s", 1, 2, "≥ 0.5×", True, 0.5, void="generator saturated")
    assert void.met is None


def test_markdown_table_lists_every_result_and_void_notes() -> None:
    results = [
        Result("B0", "build the data set", "s", 3.0, 1.0, "≤ 2.0×", False, 2.0),
        Result("B9", "memory", "MB", 100.0, 90.0, "≤ 1.5×", False, 1.5, void="no baseline load"),
    ]
    table = markdown_table(results)
    assert "| B0 | build the data set | s | 3 | 1 | 3.00× | ≤ 2.0× | NO |" in table
    assert "| B9 | memory | MB | 100.0 | 90.0 | 1.11× | ≤ 1.5× | void |" in table
    assert "ratio void — no baseline load" in table


def test_dataset_generation_is_deterministic_and_valid(db) -> None:  # type: ignore[no-untyped-def]
    from bench.dataset import Scale, generate
    from linli.privacy.validators import validate_id_number, validate_phone

    tiny = Scale("tiny", communities=1, grids_per_community=1, estates_per_grid=1, buildings_per_estate=1)
    first, second = generate(tiny), generate(tiny)
    assert [a.path for a in first["areas"]] == [a.path for a in second["areas"]]
    assert [u.display_name for u in first["users"]] == [u.display_name for u in second["users"]]
    assert len(first["users"]) == 50  # 1 building × 2 units × 10 dwellings × 2.5 residents
    for user in first["users"]:
        validate_phone(user.phone)
        validate_id_number(user.id_number)
    for area in first["areas"]:
        assert area.path == (area.parent.path if area.parent else "/") + f"{area.id}/"
