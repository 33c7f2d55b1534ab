"""Agency identifier codes (mã định danh, QĐ 20/2020/QĐ-TTg) and short names."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tinhso.places.codes import (
    CODE_MESSAGE,
    SHORT_NAME_MESSAGE,
    normalize_agency_code,
    validate_agency_code,
    validate_short_name,
)


@pytest.mark.parametrize(
    "code",
    [
        "000.00.00.H41",  # UBND tỉnh Nghệ An
        "000.00.00.G22",  # Văn phòng Chính phủ
        "000.00.15.H41",  # a department of a province
        "000.20.31.H41",  # a level-3 unit
        "001.00.20.JB2",  # letters in the level-1 group
        "000.00.00.A80",
        "H15.50.05.13",  # level-1 group first, as provincial one-stop systems print it
        "H41.50.05.13",
    ],
)
def test_documented_shapes_are_accepted(code):
    assert validate_agency_code(code) is None


@pytest.mark.parametrize(
    "code",
    [
        "",
        "H41",
        "000.00.00",
        "01.02.G22",  # three groups
        "28.22.H17",
        "000.00.00.H4",  # level-1 group too short
        "000.00.00.H411",
        "000.00.00.141",  # level-1 group must start with a letter
        "0000.00.00.H41",
        "000.0.00.H41",
        "000.00.00.h41",  # lower case: normalise first
        " 000.00.00.H41",
        "000-00-00-H41",
        "000.00.00.H41.",
        "000.00.00.H41\n",
        "H15.50.05",
        "H15.50.05.13.01",
        "H15.5A.05.13",
        "DROP TABLE",
    ],
)
def test_garbage_is_rejected_with_a_vietnamese_message(code):
    with pytest.raises(ValidationError) as caught:
        validate_agency_code(code)
    assert caught.value.messages == [CODE_MESSAGE]
    assert caught.value.code == "invalid_agency_code"


def test_the_message_shows_the_expected_shape():
    assert CODE_MESSAGE == (
        "Mã định danh không đúng định dạng: cần bốn nhóm phân cách bằng dấu chấm, "
        "ví dụ 000.00.00.H41 hoặc 000.00.15.H41 (Quyết định 20/2020/QĐ-TTg)."
    )


def test_normalising_trims_and_upper_cases():
    assert normalize_agency_code("  000.00.00.h41 ") == "000.00.00.H41"
    assert normalize_agency_code("h15.50.05.13") == "H15.50.05.13"


@pytest.mark.parametrize(
    "short_name", ["UBND", "SXD", "STP", "SGDĐT", "TTr", "VP", "SVHTTDL", "BPMC", "UBND2"]
)
def test_short_names_of_letters_and_digits_are_accepted(short_name):
    assert validate_short_name(short_name) is None


def test_a_decomposed_vietnamese_letter_is_accepted():
    assert validate_short_name("SGD\u0110T") is None  # Đ
    assert validate_short_name("SO\u031bN") is None  # O + combining horn = Ơ


@pytest.mark.parametrize(
    "short_name", ["", " ", "UB ND", "S-XD", "SXD.", "UBND/", "S_XD", "Σ", "ＵＢＮＤ", "UBND\n"]
)
def test_other_short_names_are_rejected(short_name):
    with pytest.raises(ValidationError) as caught:
        validate_short_name(short_name)
    assert caught.value.messages == [SHORT_NAME_MESSAGE]
