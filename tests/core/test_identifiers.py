"""Personal ID numbers, tax codes and phone numbers, read the way the circulars define them."""

from __future__ import annotations

from datetime import date

import pytest

from tinhso.core.identifiers import (
    LEGACY_PROVINCE_CODES,
    InvalidIdentifier,
    PersonalId,
    TaxCode,
    TaxCodeKind,
    normalize_phone,
    parse_personal_id,
    parse_tax_code,
    tax_code_check_digit,
    validate_personal_id,
)

TODAY = date(2026, 6, 1)


def message(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidIdentifier) as caught:
        call(*args, **kwargs)
    return caught.value.message


# --- personal identification number ------------------------------------------------------


def test_there_are_63_legacy_province_codes_from_001_to_096():
    assert len(LEGACY_PROVINCE_CODES) == 63
    assert (min(LEGACY_PROVINCE_CODES), max(LEGACY_PROVINCE_CODES)) == ("001", "096")
    assert LEGACY_PROVINCE_CODES["066"] == "Đắk Lắk"
    assert LEGACY_PROVINCE_CODES["079"] == "Thành phố Hồ Chí Minh"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("066090001234", PersonalId("066090001234", "066", "male", 1990)),
        ("079301012345", PersonalId("079301012345", "079", "female", 2001)),
        ("001 200 000 001", PersonalId("001200000001", "001", "male", 2000)),
        ("096199999999", PersonalId("096199999999", "096", "female", 1999)),
        ("048400123456", PersonalId("048400123456", "048", "male", 2100)),
        ("031523123456", PersonalId("031523123456", "031", "female", 2123)),
        ("001600000000", PersonalId("001600000000", "001", "male", 2200)),
        ("001799000000", PersonalId("001799000000", "001", "female", 2299)),
        ("001800000000", PersonalId("001800000000", "001", "male", 2300)),
        ("001999000000", PersonalId("001999000000", "001", "female", 2399)),
    ],
)
def test_a_personal_id_is_read_into_province_sex_and_birth_year(value, expected):
    assert parse_personal_id(value) == expected


def test_the_province_name_comes_from_the_code():
    assert parse_personal_id("066090001234").province_name == "Đắk Lắk"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "Chưa nhập số định danh cá nhân."),
        ("   ", "Chưa nhập số định danh cá nhân."),
        ("06609000123", "Số định danh cá nhân phải gồm đúng 12 chữ số (đã nhập 11 chữ số)."),
        ("0660900012345", "Số định danh cá nhân phải gồm đúng 12 chữ số (đã nhập 13 chữ số)."),
        ("06609000123A", "Số định danh cá nhân chỉ gồm chữ số."),
        ("066-090-001-234", "Số định danh cá nhân chỉ gồm chữ số."),
        ("٠٦٦٠٩٠٠٠١٢٣٤", "Số định danh cá nhân chỉ gồm chữ số."),
        (
            "003090001234",
            "Số định danh cá nhân không hợp lệ: 003 không phải mã tỉnh, thành phố nơi đăng ký "
            "khai sinh.",
        ),
        (
            "000090001234",
            "Số định danh cá nhân không hợp lệ: 000 không phải mã tỉnh, thành phố nơi đăng ký "
            "khai sinh.",
        ),
        (
            "097090001234",
            "Số định danh cá nhân không hợp lệ: 097 không phải mã tỉnh, thành phố nơi đăng ký "
            "khai sinh.",
        ),
    ],
)
def test_a_malformed_personal_id_is_refused_with_the_reason(value, expected):
    assert message(parse_personal_id, value) == expected


def test_a_birth_year_in_the_future_is_refused():
    assert validate_personal_id("066226001234", today=date(2026, 12, 31)).birth_year == 2026
    assert (
        message(validate_personal_id, "066227001234", today=TODAY)
        == "Số định danh cá nhân không hợp lệ: năm sinh 2027 ở tương lai."
    )
    assert (
        message(validate_personal_id, "001800000000", today=TODAY)
        == "Số định danh cá nhân không hợp lệ: năm sinh 2300 ở tương lai."
    )


def test_the_birth_year_must_match_the_date_of_birth():
    assert validate_personal_id("066090001234", date(1990, 12, 31), today=TODAY) == PersonalId(
        "066090001234", "066", "male", 1990
    )
    assert (
        message(validate_personal_id, "066090001234", date(1991, 1, 1), today=TODAY)
        == "Năm sinh trong số định danh cá nhân (1990) không khớp với ngày sinh 01/01/1991."
    )


# --- tax code ------------------------------------------------------------------------------

KNOWN_ENTERPRISES = [
    "0100109106",  # Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)
    "0100112437",  # Ngân hàng TMCP Ngoại thương Việt Nam (Vietcombank)
    "0101248141",  # Công ty cổ phần FPT
    "0300588569",  # Công ty cổ phần Sữa Việt Nam (Vinamilk)
]


@pytest.mark.parametrize("value", KNOWN_ENTERPRISES)
def test_real_enterprise_tax_codes_are_valid(value):
    assert parse_tax_code(value) == TaxCode(value, TaxCodeKind.INDEPENDENT)


@pytest.mark.parametrize("value", KNOWN_ENTERPRISES)
def test_changing_the_check_digit_of_a_real_code_is_refused(value):
    wrong = value[:9] + str((int(value[9]) + 1) % 10)
    assert message(parse_tax_code, wrong) == (
        f"Mã số thuế {wrong} không đúng số kiểm tra (chữ số thứ 10)."
    )


def test_the_check_digit_is_ten_minus_the_weighted_sum_mod_eleven():
    # Viettel: 1x29 + 1x17 + 9x7 + 1x5 = 114; 114 mod 11 = 4; 10 - 4 = 6.
    assert tax_code_check_digit("010010910") == 6
    # 1x5 = 5; 10 - 5 = 5.
    assert tax_code_check_digit("000000010") == 5


def test_nine_digits_whose_weighted_sum_is_a_multiple_of_eleven_have_no_valid_code():
    # 1x29 + 5x3 = 44 = 4 x 11: the check digit would have to be 10.
    assert tax_code_check_digit("010000005") is None
    assert [message(parse_tax_code, f"010000005{digit}") for digit in range(10)] == [
        f"Mã số thuế 010000005{digit} không đúng số kiểm tra (chữ số thứ 10)."
        for digit in range(10)
    ]


@pytest.mark.parametrize(
    "value", ["0100109106-001", "0100109106001", " 0100109106 - 001 ", "0100109106-999"]
)
def test_a_branch_code_is_the_parent_code_and_a_three_digit_suffix(value):
    code = parse_tax_code(value)
    suffix = value.strip()[-3:]
    assert (code.number, code.kind, code.display, code.parent) == (
        f"0100109106{suffix}",
        TaxCodeKind.DEPENDENT,
        f"0100109106-{suffix}",
        "0100109106",
    )


def test_a_personal_id_is_the_tax_code_of_individuals_since_july_2025():
    code = parse_tax_code("066090001234", today=TODAY)
    assert (code.number, code.kind, code.display, code.parent) == (
        "066090001234",
        TaxCodeKind.PERSONAL_ID,
        "066090001234",
        None,
    )
    assert code.personal_id == PersonalId("066090001234", "066", "male", 1990)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "Chưa nhập mã số thuế."),
        (
            "12345",
            "Mã số thuế phải gồm 10 chữ số, 13 chữ số (đơn vị phụ thuộc, viết 0100109106-001) "
            "hoặc là số định danh cá nhân 12 chữ số.",
        ),
        (
            "01001091O6",
            "Mã số thuế phải gồm 10 chữ số, 13 chữ số (đơn vị phụ thuộc, viết 0100109106-001) "
            "hoặc là số định danh cá nhân 12 chữ số.",
        ),
        (
            "010010910-6",
            "Mã số thuế phải gồm 10 chữ số, 13 chữ số (đơn vị phụ thuộc, viết 0100109106-001) "
            "hoặc là số định danh cá nhân 12 chữ số.",
        ),
        ("0100000000", "Mã số thuế 0100000000 không hợp lệ: số thứ tự không thể là 0000000."),
        (
            "0100109106-000",
            "Mã số thuế 0100109106-000 không hợp lệ: số thứ tự đơn vị phụ thuộc phải từ 001 "
            "đến 999.",
        ),
        ("0100109107-001", "Mã số thuế 0100109107-001 không đúng số kiểm tra (chữ số thứ 10)."),
        (
            "003090001234",
            "Mã số thuế 003090001234 (12 chữ số) phải là số định danh cá nhân hợp lệ. "
            "Số định danh cá nhân không hợp lệ: 003 không phải mã tỉnh, thành phố nơi đăng ký "
            "khai sinh.",
        ),
        (
            "066227001234",
            "Mã số thuế 066227001234 (12 chữ số) phải là số định danh cá nhân hợp lệ. "
            "Số định danh cá nhân không hợp lệ: năm sinh 2027 ở tương lai.",
        ),
    ],
)
def test_an_invalid_tax_code_is_refused_with_the_reason(value, expected):
    assert message(parse_tax_code, value, today=TODAY) == expected


# --- phone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("0352345678", "0352345678"),
        ("02838221234", "02838221234"),
        ("+84 28 3822 1234", "02838221234"),
    ],
)
def test_phone_numbers_are_stored_in_the_national_form(value, expected):
    assert normalize_phone(value) == expected


@pytest.mark.parametrize(
    "value", ["0112345678", "091234567", "09123456789", "84123", "+1 415 555 0100", "số máy"]
)
def test_a_number_that_is_not_a_vietnamese_phone_number_is_refused(value):
    assert message(normalize_phone, value) == (
        "Số điện thoại không hợp lệ: nhập số di động 10 chữ số (ví dụ 0912345678) "
        "hoặc số cố định có mã vùng."
    )


def test_an_empty_phone_number_is_refused():
    assert message(normalize_phone, " ") == "Chưa nhập số điện thoại."
