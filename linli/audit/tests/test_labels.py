"""Issue 5, newcomer finding 4: no raw code reaches the audit administrator. Event types, object
types, roles and sources show as translated labels in the viewer, its filter and the CSV export;
the export's headers are translated and its times are Beijing time with the offset stated."""

from __future__ import annotations

import ast
import csv
import datetime
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from linli.accounts.models import Role
from linli.audit import labels
from linli.audit.actions import record_event
from linli.testing import client_for

pytestmark = pytest.mark.django_db

EVENTS_URL = "/audit/"
EXPORT_URL = "/audit/export/"
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


class VisibleText(HTMLParser):
    """What a reader sees: text nodes only (option values and other attributes left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def visible(response) -> str:
    parser = VisibleText()
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


@pytest.fixture
def auditor(make_staff, tree):
    return make_staff(Role.AUDIT_ADMIN, tree.district, username="auditor")


@pytest.fixture
def coded_events(make_staff, tree):
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1, username="worker1")
    record_event("authz.denied", actor=worker, role="grid_worker,community_worker", object_type="areas.area",
                 object_id=tree.grid_a1.id, outcome="denied")  # fmt: skip
    record_event("resident.link_verified", actor=worker, role="grid_worker", object_type="accounts.dwellinglink",
                 object_id=7)  # fmt: skip


def test_the_viewer_and_its_filter_show_labels_not_codes_in_chinese(auditor, coded_events):
    response = client_for(auditor).get(EVENTS_URL)
    assert response.status_code == 200
    text = visible(response)
    for code in ("authz.denied", "resident.link_verified", "areas.area", "accounts.dwellinglink", "grid_worker"):
        assert code not in text
    assert "访问被拒绝" in text and "房屋绑定已核验" in text
    assert "网格员、社区工作者" in text
    body = response.content.decode()
    assert '<option value="authz.denied">访问被拒绝</option>' in body
    assert '<optgroup label="访问控制">' in body
    assert '<option value="areas.area">区域</option>' in body
    assert '<option value="accounts.dwellinglink">房屋绑定</option>' in body
    assert not [line for line in text.splitlines() if CODE.match(line)]


def test_the_viewer_in_english_shows_english_labels(auditor, coded_events):
    client = client_for(auditor)
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        text = visible(client.get(EVENTS_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Access denied" in text and "Home link verified" in text
    assert "grid worker, community worker" in text
    assert "authz.denied" not in text


def test_filtering_by_a_labelled_object_type_still_uses_the_code(auditor, coded_events):
    response = client_for(auditor).get(EVENTS_URL, {"object_type": "accounts.dwellinglink"})
    assert [row["event"].event_type for row in response.context["rows"]] == ["resident.link_verified"]
    assert response.context["rows"][0]["object_label"] == "房屋绑定"
    assert client_for(auditor).get(EVENTS_URL, {"object_type": "no.such"}).status_code == 422


def test_the_csv_export_has_chinese_headers_labels_and_beijing_times(auditor, coded_events):
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC), tick=False):
        record_event("auth.login", actor_label="someone")
    client = client_for(auditor)
    response = client.post(EXPORT_URL, {"event_type": "auth.login"})
    content = b"".join(response.streaming_content).decode("utf-8")
    header, row = list(csv.reader(io.StringIO(content[1:])))
    assert header == [
        "编号", "时间（北京时间，UTC+08:00）", "操作人编号", "操作人", "角色", "区域编号", "来源 IP", "请求编号", "来源",
        "事件", "事件代码", "对象类型", "对象类型代码", "对象 ID", "结果", "详情", "前一哈希值", "哈希值",
    ]  # fmt: skip
    cells = dict(zip(header, row, strict=True))
    assert cells["时间（北京时间，UTC+08:00）"] == "2026-12-01 07:30:00+08:00"
    assert (cells["事件"], cells["事件代码"], cells["结果"]) == ("登录成功", "auth.login", "成功")


def test_the_csv_export_in_english(auditor, coded_events):
    client = client_for(auditor)
    client.cookies["django_language"] = "en"
    response = client.post(EXPORT_URL, {"event_type": "authz.denied"}, HTTP_ACCEPT_LANGUAGE="en")
    content = b"".join(response.streaming_content).decode("utf-8")
    header, row = list(csv.reader(io.StringIO(content[1:])))
    assert header[:2] == ["ID", "Time (Beijing time, UTC+08:00)"]
    cells = dict(zip(header, row, strict=True))
    assert (cells["Event"], cells["Object type"], cells["Roles"]) == (
        "Access denied", "Area", "grid worker, community worker",
    )  # fmt: skip
    assert cells["Time (Beijing time, UTC+08:00)"].endswith("+08:00")


def test_unknown_codes_get_a_generic_label_never_the_code():
    with translation.override("zh-hans"):
        assert labels.event_label("auth.something_new") == "其他事件（登录认证）"
        assert labels.event_label("zzz.unknown") == "其他事件"
        assert labels.object_label("zzz.unknown") == "其他对象"
        assert labels.role_labels("grid_worker,zzz") == "网格员、其他角色"
        assert labels.source_label("zzz") == "其他来源"


def _recorded_event_types() -> dict[str, str]:
    """Every event type string in a ``record_event`` call of the application code (the first
    argument, or the string codes in the function when it is a variable)."""
    root = Path(__file__).resolve().parents[2]
    found: dict[str, str] = {}
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if "tests" in relative.parts or "migrations" in relative.parts or path.name == "testing.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            func = getattr(node, "func", None)
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if not isinstance(node, ast.Call) or name != "record_event" or not node.args:
                continue
            scope: ast.AST = node.args[0]
            if isinstance(scope, ast.Name):
                scope = node
                while scope in parents and not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                    scope = parents[scope]
            for constant in ast.walk(scope):
                if (
                    isinstance(constant, ast.Constant)
                    and isinstance(constant.value, str)
                    and CODE.match(constant.value)
                ):
                    found.setdefault(constant.value, str(relative))
    return found


def test_every_recorded_event_type_has_a_label():
    recorded = _recorded_event_types()
    assert "authz.denied" in recorded and "notification.sent" in recorded  # the walk finds them
    rule_names = {"accounts.verify_resident"}  # permission names passed alongside in the same function
    unlabelled = {code: where for code, where in recorded.items() if code not in labels.EVENT_LABELS}
    assert {code: where for code, where in unlabelled.items() if code not in rule_names} == {}
    assert all(code.partition(".")[0] in labels.CATEGORY_LABELS for code in labels.EVENT_LABELS)
