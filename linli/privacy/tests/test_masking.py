"""Masked display by default (SECURITY.md D4): the helpers and the template filters."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from linli.privacy.masking import MASKERS, mask_address, mask_email, mask_id_number, mask_name, mask_phone


def test_exact_outputs_from_the_security_requirements():
    assert mask_id_number("110105199001011234") == "1101**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳**"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("11010519900101123X", "1101**********123X"), (" 110105 19900101 1234 ", "1101**********1234"),
     ("12345678", "********"), ("", ""), (None, "")],
)  # fmt: skip
def test_id_numbers(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("+86 138-1234-5678", "138****5678"), ("138 1234 5678", "138****5678"), ("123456", "******"),
     ("", ""), (None, "")],
)  # fmt: skip
def test_phones(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("王小明", "王**"), ("司马相如", "司马**"), ("诸葛亮", "诸葛*"), ("欧阳", "欧*"), ("张", "*"),
     (" 李四 ", "李*"), ("John Smith", "J***"), ("", ""), (None, "")],
)  # fmt: skip
def test_names(value, masked):
    assert mask_name(value) == masked


def test_addresses_and_emails():
    assert mask_address("北京市朝阳区望京街道花家地社区1号楼101") == "北京市朝阳区****"
    assert mask_address("朝阳区") == "朝阳区"
    assert mask_email("zhangsan@example.cn") == "z***@example.cn"
    assert mask_email("not-an-email") == "not-an-email"


def test_no_masked_value_contains_the_full_plaintext():
    samples = {"id_number": "110105199001011234", "phone": "13812345678", "name": "张三丰"}
    for kind, value in samples.items():
        assert value not in MASKERS[kind](value)


def render(text: str, **context: object) -> str:
    return Template("{% load privacy %}" + text).render(Context(context))


def test_template_filters():
    assert render("{{ v|mask_phone }}", v="13812345678") == "138****5678"
    assert render("{{ v|mask_id }}", v="110105199001011234") == "1101**********1234"
    assert render("{{ v|mask_name }}", v="欧阳娜娜") == "欧阳**"
    assert render("{{ v|mask_address }}", v="北京市朝阳区望京街道") == "北京市朝阳区****"
    assert render("{{ v|mask_email }}", v="li@example.cn") == "l***@example.cn"


def test_template_filters_accept_missing_values():
    assert render("[{{ v|mask_phone }}][{{ w|mask_id }}][{{ x|mask_name }}]", v=None, w="") == "[][][]"
