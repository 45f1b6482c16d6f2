"""Server-side validators (SECURITY.md D6): ID numbers (GB 11643, ISO 7064 MOD 11-2), unified
social credit codes (GB 32100), mainland mobile numbers."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from linli.privacy.validators import (
    USCC_ALPHABET,
    birth_date_from_id_number,
    id_number_check_character,
    normalise_phone,
    uscc_check_character,
    validate_id_number,
    validate_phone,
    validate_social_credit_code,
)

TODAY = datetime.date(2026, 6, 1)


def make_id_number(region: str, birth: datetime.date, sequence: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_character(first17)


def code_of(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(error.value.code)


birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
valid_id_numbers = st.builds(make_id_number, st.just("110105"), birth_dates, sequences)


# --- ID numbers ----------------------------------------------------------------------------------


def test_a_known_valid_number():
    assert validate_id_number("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert id_number_check_character("11010519491231002") == "X"


@given(valid_id_numbers)
def test_generated_valid_numbers_are_accepted(number):
    assert validate_id_number(number, today=TODAY) == number
    assert birth_date_from_id_number(number) == datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@given(valid_id_numbers)
def test_lower_case_x_spaces_and_full_width_digits_are_normalised(number):
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert validate_id_number(spaced, today=TODAY) == number
    full_width = "".join(chr(ord(char) + 0xFEE0) if char.isdigit() else char for char in number)
    assert validate_id_number(full_width, today=TODAY) == number


@given(valid_id_numbers, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_rejected(number, position, shift):
    if not number[position].isdigit():
        return  # an X check character: changing it to a digit is covered below
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        validate_id_number(changed, today=TODAY)


@given(valid_id_numbers, st.sampled_from("0123456789X"))
def test_any_other_check_character_is_rejected(number, check):
    if check == number[17]:
        return
    with pytest.raises(ValidationError) as error:
        validate_id_number(number[:17] + check, today=TODAY)
    assert code_of(error) == "id_checksum"


@pytest.mark.parametrize("date_text", ["19900230", "19901301", "19900001", "20230229", "19900132"])
def test_impossible_birth_dates_are_rejected(date_text):
    first17 = f"110105{date_text}123"
    with pytest.raises(ValidationError) as error:
        validate_id_number(first17 + id_number_check_character(first17), today=TODAY)
    assert code_of(error) == "id_birth_date"


@given(st.dates(min_value=TODAY + datetime.timedelta(days=1), max_value=datetime.date(2999, 12, 31)), sequences)
def test_future_birth_dates_are_rejected(birth, sequence):
    with pytest.raises(ValidationError) as error:
        validate_id_number(make_id_number("110105", birth, sequence), today=TODAY)
    assert code_of(error) == "id_birth_date"


def test_birth_dates_before_1890_are_rejected():
    with pytest.raises(ValidationError) as error:
        validate_id_number(make_id_number("110105", datetime.date(1889, 12, 31), 1), today=TODAY)
    assert code_of(error) == "id_birth_date"


@pytest.mark.parametrize("province", ["00", "10", "19", "20", "39", "47", "66", "70", "80", "90", "99"])
def test_unknown_provinces_are_rejected(province):
    with pytest.raises(ValidationError) as error:
        validate_id_number(make_id_number(f"{province}0105", datetime.date(1990, 1, 1), 123), today=TODAY)
    assert code_of(error) == "id_region"


@pytest.mark.parametrize("province", ["11", "31", "44", "65", "71", "81", "82"])
def test_known_provinces_are_accepted(province):
    number = make_id_number(f"{province}0105", datetime.date(1990, 1, 1), 123)
    assert validate_id_number(number, today=TODAY) == number


@pytest.mark.parametrize(
    "value",
    ["", "1101051990010112", "1101051990010112345", "11010519900101123Y", "X10105199001011234", "1101051990O1011234"],
)
def test_malformed_numbers_are_rejected(value):
    with pytest.raises(ValidationError) as error:
        validate_id_number(value, today=TODAY)
    assert code_of(error) == "id_format"


def test_non_ascii_digits_are_rejected():
    arabic_indic = "".join(chr(0x0660 + int(char)) for char in "110105199001011234")
    with pytest.raises(ValidationError):
        validate_id_number(arabic_indic, today=TODAY)


# --- unified social credit codes ------------------------------------------------------------------

# Registration authority (first character) and organisation type (second) of GB 32100 table 1.
AUTHORITY_TYPES = ["11", "12", "13", "19", "21", "29", "31", "32", "33", "34", "39", "41", "49", "51", "52", "53",
                   "59", "61", "62", "69", "71", "72", "79", "81", "89", "91", "92", "93", "A1", "A9", "N1", "N9",
                   "Y1"]  # fmt: skip
org_codes = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)


def make_uscc(prefix: str, region: str, organisation: str) -> str:
    first17 = f"{prefix}{region}{organisation}"
    return first17 + uscc_check_character(first17)


valid_usccs = st.builds(
    make_uscc, st.sampled_from(AUTHORITY_TYPES), st.sampled_from(["110105", "310115", "440305", "350100"]), org_codes
)


def test_the_standards_worked_example():
    assert validate_social_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert uscc_check_character("91350100M000100Y4") == "3"


@given(valid_usccs)
def test_constructed_codes_are_accepted(code):
    assert validate_social_credit_code(code) == code
    assert validate_social_credit_code(f" {code.lower()} ") == code


@given(valid_usccs, st.sampled_from(USCC_ALPHABET))
def test_a_wrong_check_character_is_rejected(code, check):
    if check == code[17]:
        return
    with pytest.raises(ValidationError) as error:
        validate_social_credit_code(code[:17] + check)
    assert code_of(error) == "uscc_checksum"


@given(valid_usccs, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=30))
def test_a_single_character_change_is_rejected(code, position, shift):
    replacement = USCC_ALPHABET[(USCC_ALPHABET.index(code[position]) + shift) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    if 2 <= position < 8 and not replacement.isdigit():
        return  # the region code must be digits: a format error, checked below
    with pytest.raises(ValidationError):
        validate_social_credit_code(changed)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_alphabet_are_rejected(letter):
    code = "91350100M000100Y4" + letter
    with pytest.raises(ValidationError) as error:
        validate_social_credit_code(code)
    assert code_of(error) == "uscc_format"


@pytest.mark.parametrize("value", ["", "91350100M000100Y4", "91350100M000100Y433", "913501A0M000100Y43"])
def test_malformed_codes_are_rejected(value):
    with pytest.raises(ValidationError) as error:
        validate_social_credit_code(value)
    assert code_of(error) == "uscc_format"


# --- phone numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13812345678", "+8613812345678", "+86 138 1234 5678", "+86-138-1234-5678", "0086 13812345678",
     "138-1234-5678", " 138 1234 5678 ", "１３８１２３４５６７８", "(+86) 13812345678"],
)  # fmt: skip
def test_phone_numbers_are_normalised(value):
    assert normalise_phone(value) == "13812345678"
    assert validate_phone(value) == "13812345678"


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_mainland_mobile_prefix_is_accepted(second, rest):
    assert validate_phone(f"1{second}{rest}") == f"1{second}{rest}"


@pytest.mark.parametrize(
    "value", ["", "1381234567", "138123456789", "12812345678", "10012345678", "23812345678", "+1 2025550123",
              "1381234567a", "phone"],
)  # fmt: skip
def test_invalid_phone_numbers_are_rejected(value):
    with pytest.raises(ValidationError) as error:
        validate_phone(value)
    assert code_of(error) == "phone_format"
