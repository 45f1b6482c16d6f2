"""The README walks a newcomer through the demo: the button names it quotes are the ones on screen."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import translation


def test_readme_names_the_sign_in_button_as_the_page_shows_it() -> None:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        button = translation.gettext("Send code")

    assert button == "获取验证码"
    assert f"press {button}\n  (Send code)" in readme
    assert "发送验证码" not in readme
