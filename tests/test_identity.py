import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from vocabulary.identity import (
    birth_date_from_id,
    id_check_char,
    mask_id_number,
    mask_phone,
    sex_from_id,
    validate_id_number,
)

# The standard's own worked example (GB 11643-1999, appendix): 11010519491231002X.
VALID_WITH_X = "11010519491231002X"
VALID_DIGIT = "440524188001010014"


def test_it_accepts_the_standards_example_ending_in_x():
    validate_id_number(VALID_WITH_X)
    validate_id_number(VALID_WITH_X.lower())  # a lower-case x is the same number


def test_it_accepts_a_valid_number_ending_in_a_digit():
    validate_id_number(VALID_DIGIT)


def test_check_char_matches_the_standard():
    assert id_check_char(VALID_WITH_X[:17]) == "X"
    assert id_check_char(VALID_DIGIT[:17]) == "4"


@pytest.mark.parametrize("wrong", ["110105194912310021", "110105194912310020", "440524188001010015"])
def test_it_rejects_a_wrong_check_digit(wrong):
    with pytest.raises(ValidationError) as error:
        validate_id_number(wrong)
    assert error.value.code == "check_digit"


@pytest.mark.parametrize("length", [15, 17, 19])
def test_it_rejects_a_wrong_length(length):
    with pytest.raises(ValidationError) as error:
        validate_id_number(("4405241880010100149")[:length])
    assert error.value.code == "length"


def test_it_rejects_letters_and_x_in_the_wrong_place():
    with pytest.raises(ValidationError) as error:
        validate_id_number("11010519491231X02X")
    assert error.value.code == "format"


def test_it_rejects_an_impossible_birth_date():
    first17 = "11010519491331002"  # month 13
    with pytest.raises(ValidationError) as error:
        validate_id_number(first17 + id_check_char(first17))
    assert error.value.code == "birth_date"


def test_birth_date_and_sex_come_from_the_number():
    assert birth_date_from_id(VALID_WITH_X) == dt.date(1949, 12, 31)
    assert sex_from_id(VALID_WITH_X) == "F"  # 17th digit 2: even
    assert sex_from_id(VALID_DIGIT) == "M"  # 17th digit 1: odd


def test_masking_keeps_only_the_ends():
    assert mask_id_number("37030319900307123X") == "3703**********123X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_id_number("") == ""
