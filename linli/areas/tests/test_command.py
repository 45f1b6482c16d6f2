"""``linli import_areas FILE``: the operator's import, reaching the whole tree."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from linli.areas.models import Area
from linli.audit.models import AuditEvent

CSV = "类型,编码,名称,上级编码路径\n区,110105,朝阳区,\n街道,001,望京街道,110105\n社区,001,花家地社区,110105/001\n"


@pytest.mark.django_db
def test_import_from_an_empty_tree(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_bytes(CSV.encode("gb18030"))
    output = io.StringIO()
    call_command("import_areas", str(path), "--dry-run", stdout=output)
    assert "3 rows: would add 3" in output.getvalue()
    assert not Area.objects.exists()
    call_command("import_areas", str(path), stdout=output)
    assert Area.objects.count() == 3
    community = Area.objects.get(code="001", kind=3)
    assert community.path == "/" + "/".join(str(pk) for pk in community.ancestor_ids()) + "/"
    event = AuditEvent.objects.get(event_type="area.imported")
    assert (event.source, event.actor_id, event.detail["created"]) == ("command", None, 3)
    # importing the same file again changes nothing
    call_command("import_areas", str(path), stdout=output)
    assert "updated 0, unchanged 3" in output.getvalue().splitlines()[-1]


@pytest.mark.django_db
def test_errors_are_listed_and_nothing_is_written(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text(CSV + "网格,0 1,x,110105/001/001\n", encoding="utf-8")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_areas", str(path), stderr=errors)
    assert errors.getvalue().startswith("row 5 [code]: ")
    assert not Area.objects.exists()


def test_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_areas", str(tmp_path / "missing.csv"))
    path = tmp_path / "areas.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(CommandError):
        call_command("import_areas", str(path))
