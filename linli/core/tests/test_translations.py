"""The zh-Hans catalogue (linli/locale/zh_Hans) is complete and consistent, and pages render in Chinese
by default and in English on request (cookie ``linli_language=en``)."""

from __future__ import annotations

import fcntl
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

# printf-style conversions (named or positional; ``%%`` is a literal percent sign), ``{name}`` format
# fields and HTML tags must survive translation unchanged.
PRINTF = re.compile(r"%(?:\((?P<name>[^)]+)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACES = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def _placeholders(text: str) -> tuple[Counter[str], frozenset[str], Counter[str]]:
    """Positional conversions (in a multiset), named conversions and ``{…}`` fields, HTML tags."""
    positional: Counter[str] = Counter()
    named: set[str] = set()
    for match in PRINTF.finditer(text):
        if match.group(0) == "%%":
            continue
        if match.group("name") is None:
            positional[match.group(0)] += 1
        else:
            named.add(match.group(0))
    named.update(BRACES.findall(text))
    return positional, frozenset(named), Counter(TAG.findall(text))


def _entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.fixture(scope="module")
def zh_catalogue() -> polib.POFile:
    return polib.pofile(str(ZH_PO))


@pytest.fixture
def compiled_catalogues(settings: Any) -> Iterator[None]:
    """Compile the .mo files when missing or older than the .po (setup normally does it), under a
    lock so parallel test workers never read a half-written file, then drop Django's cached
    translations (re-assigning LOCALE_PATHS sends ``setting_changed``, which clears them)."""
    lock_path = Path(tempfile.gettempdir()) / "linli-i18n-compile.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            call_command("i18n_compile", verbosity=0)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    yield


def test_catalogue_header(zh_catalogue: polib.POFile) -> None:
    assert not zh_catalogue.metadata_is_fuzzy
    assert zh_catalogue.metadata["Language"] == "zh_Hans"
    assert zh_catalogue.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert zh_catalogue.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    english = polib.pofile(str(EN_PO))
    assert not english.metadata_is_fuzzy
    assert english.metadata["Language"] == "en"
    assert [entry.msgid for entry in _entries(english) if "fuzzy" in entry.flags] == []


def test_every_entry_is_translated_and_not_fuzzy(zh_catalogue: polib.POFile) -> None:
    entries = _entries(zh_catalogue)
    assert len(entries) > 600
    assert [entry.msgid for entry in entries if "fuzzy" in entry.flags] == []
    untranslated = [entry.msgid for entry in entries if not all(text.strip() for text in _translations(entry))]
    assert untranslated == []
    # Chinese has a single plural form: exactly one msgstr[0] per plural entry.
    assert [entry.msgid for entry in entries if entry.msgid_plural and list(entry.msgstr_plural) != [0]] == []


def test_catalogues_hold_the_same_msgids(zh_catalogue: polib.POFile) -> None:
    """Both catalogues come from the same makemessages run."""
    english = polib.pofile(str(EN_PO))
    zh_ids = {(entry.msgctxt, entry.msgid) for entry in _entries(zh_catalogue)}
    en_ids = {(entry.msgctxt, entry.msgid) for entry in _entries(english)}
    assert zh_ids - en_ids == set()
    assert en_ids - zh_ids == set()


def test_placeholders_and_tags_are_kept(zh_catalogue: polib.POFile) -> None:
    mismatched = []
    for entry in _entries(zh_catalogue):
        expected = _placeholders(entry.msgid)
        if entry.msgid_plural:
            # Chinese msgstr[0] stands for both English forms: either may supply the placeholders.
            options = [expected, _placeholders(entry.msgid_plural)]
        else:
            options = [expected]
        for text in _translations(entry):
            if _placeholders(text) not in options:
                mismatched.append((entry.msgid, text))
    assert mismatched == []


def test_no_english_sentence_left_in_chinese(zh_catalogue: polib.POFile) -> None:
    """A msgstr holds Chinese whenever its msgid holds words (not just placeholders), except for a
    technical name kept as is."""
    han = re.compile(r"[\u4e00-\u9fff]")
    allowed = {"GeoJSON %(kind)s"}
    leftovers = []
    for entry in _entries(zh_catalogue):
        words = TAG.sub("", BRACES.sub("", PRINTF.sub("", entry.msgid)))
        if entry.msgid in allowed or not re.search(r"[A-Za-z]{2,}", words):
            continue
        if not all(han.search(text) for text in _translations(entry)):
            leftovers.append(entry.msgid)
    assert leftovers == []


@pytest.mark.usefixtures("compiled_catalogues")
def test_runtime_catalogue_matches_the_po_file(zh_catalogue: polib.POFile) -> None:
    """The compiled .mo is current: Django returns each msgstr of the .po for zh-hans."""
    stale = []
    with translation.override("zh-hans"):
        for entry in _entries(zh_catalogue):
            if entry.msgid_plural:
                got = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                want = entry.msgstr_plural[0]
            elif entry.msgctxt:
                got = translation.pgettext(entry.msgctxt, entry.msgid)
                want = entry.msgstr
            else:
                got = translation.gettext(entry.msgid)
                want = entry.msgstr
            if got != want:
                stale.append(entry.msgid)
    assert stale == []
    with translation.override("en"):
        assert translation.gettext("Resident sign-in") == "Resident sign-in"
        assert translation.ngettext("%(counter)s account", "%(counter)s accounts", 2) == "%(counter)s accounts"


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
def test_resident_login_renders_in_chinese_by_default() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "<title>居民登录 · 邻里社区</title>" in html
    assert "<h1>居民登录</h1>" in html
    assert "请输入手机号，我们将以短信发送登录验证码，无需密码。" in html
    assert "获取验证码" in html
    assert "工作人员登录" in html
    assert "Resident sign-in" not in html
    assert "Send code" not in html


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
def test_staff_login_renders_in_chinese_by_default() -> None:
    response = Client().get("/accounts/staff-login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>工作人员登录</h1>" in html
    assert "用户名" in html
    assert "密码" in html
    assert "工作人员账号下一步需要输入身份验证器应用中的动态验证码。" in html
    assert "Staff sign-in" not in html
    assert "Username" not in html


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
def test_browser_asking_for_zh_cn_gets_chinese() -> None:
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "<h1>居民登录</h1>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize(
    ("path", "heading", "sentence"),
    [
        (
            "/accounts/login/",
            "Resident sign-in",
            "Enter your mobile number. We will text you a sign-in code. No password needed.",
        ),
        ("/accounts/staff-login/", "Staff sign-in", "Staff accounts need the authenticator app code in the next step."),
    ],
)
def test_language_cookie_switches_to_english(path: str, heading: str, sentence: str) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert f"<h1>{heading}</h1>" in html
    assert sentence in html
    assert "居民登录" not in html
    assert "工作人员登录" not in html


def test_translation_functions_use_names_makemessages_extracts() -> None:
    """``makemessages`` (xgettext) only knows ``_`` and the functions' own names: a string marked
    through another alias (``gettext_lazy as _lazy``) is dropped from the catalogue at the next
    ``make messages`` and shows in English."""
    alias = re.compile(
        r"^\s*from django\.utils\.translation import .*\b(?:n?p?gettext(?:_lazy|_noop)?) as (?!_\b)(\w+)", re.M
    )
    offenders = []
    for path in Path(settings.BASE_DIR, "linli").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for match in alias.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {match.group(1)}")
    assert offenders == []
