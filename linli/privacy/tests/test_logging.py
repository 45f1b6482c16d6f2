"""No full ID or phone numbers in logs (SECURITY.md C3): the logging filter."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from linli.privacy.logging import PersonalDataFilter, scrub

ID_NUMBER = "110105199001011234"
PHONE = "13812345678"


@pytest.fixture
def masked_caplog(caplog):
    personal_data_filter = PersonalDataFilter()
    caplog.handler.addFilter(personal_data_filter)
    caplog.set_level(logging.INFO, logger="linli.test")
    yield caplog
    caplog.handler.removeFilter(personal_data_filter)


def test_numbers_in_the_message_and_its_arguments_are_masked(masked_caplog):
    logger = logging.getLogger("linli.test")
    logger.info("resident %s called from %s", ID_NUMBER, PHONE)
    logger.warning(f"lookup by {ID_NUMBER[:17]}X failed for +86 138-1234-5678")
    assert masked_caplog.messages == [
        "resident 1101**********1234 called from 138****5678",
        "lookup by 1101**********123X failed for +86 138****5678",
    ]
    assert ID_NUMBER not in masked_caplog.text
    assert PHONE not in masked_caplog.text


def test_numbers_in_a_traceback_are_masked(masked_caplog):
    logger = logging.getLogger("linli.test")
    try:
        raise ValueError(f"bad value {PHONE}")
    except ValueError:
        logger.exception("failed for %s", ID_NUMBER)
    assert "failed for 1101**********1234" in masked_caplog.text
    assert "bad value 138****5678" in masked_caplog.text
    assert PHONE not in masked_caplog.text
    assert ID_NUMBER not in masked_caplog.text


def test_records_without_personal_data_pass_unchanged(masked_caplog):
    logging.getLogger("linli.test").info("order %d of %s", 12, "2026-06-01")
    assert masked_caplog.messages == ["order 12 of 2026-06-01"]


def test_a_malformed_record_is_still_let_through():
    record = logging.LogRecord("linli.test", logging.INFO, __file__, 1, "value %s %s", (PHONE,), None)
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "value %s %s"


def test_the_configured_console_handler_uses_the_filter():
    assert settings.LOGGING["filters"]["personal_data"]["()"] == "linli.privacy.logging.PersonalDataFilter"
    assert "personal_data" in settings.LOGGING["handlers"]["console"]["filters"]


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("13812345678", "138****5678"),
        ("tel:13812345678;", "tel:138****5678;"),
        ("+8613812345678", "+86138****5678"),
        ("138 1234 5678", "138****5678"),
        ("11010519900101123x", "1101**********123x"),
        ("id=110105199001011234&x=1", "id=1101**********1234&x=1"),
        ("order 20260601123456789012", "order 20260601123456789012"),  # 20 digits: neither
        ("12812345678", "12812345678"),  # not a mobile prefix
        ("version 1.2.3", "version 1.2.3"),
    ],
)
def test_scrub(text, scrubbed):
    assert scrub(text) == scrubbed
