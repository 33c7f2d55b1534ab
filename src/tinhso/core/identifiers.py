"""Identifiers people and organisations give us: personal ID numbers, tax codes, phone numbers.

Pure functions, no database: parse what was typed, say in Vietnamese what is wrong.

* Personal identification number (số định danh cá nhân, printed on the CCCD / căn cước card):
  12 digits, Circular 07/2016/TT-BCA Article 7 (the structure is kept by the later circulars
  under the Law on Identification 2023 [UNCONFIRMED against those texts]): digits 1-3 the
  province (or country) code of birth registration, digit 4 century and sex, digits 5-6 the
  last two digits of the birth year, digits 7-12 random.
* Tax code (mã số thuế), Circular 105/2020/TT-BTC, Circular 86/2024/TT-BTC: 10 digits whose
  10th digit is a check digit; 13 digits (10 + a 3-digit suffix) for branches and dependent
  units; and since 1 July 2025 an individual's or household business's tax code is their
  12-digit personal identification number.
* Phone numbers, stored in the national form `0912345678`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier; `message` says why, in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The 63 provinces before 1 July 2025, by the GSO code that opens personal ID numbers registered
# there. Kept here so this module needs nothing else; tinhso.places.legacy has the same list
# with each province's successor.
LEGACY_PROVINCE_CODES: Final[dict[str, str]] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Thành phố Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

MALE: Final = "male"
FEMALE: Final = "female"

# Digit 4 (mã thế kỷ và giới tính): even for men, odd for women, two digits per century from
# the 20th (1900-1999) to the 24th (2300-2399).
_CENTURY_AND_SEX: Final[dict[str, tuple[int, str]]] = {
    "0": (1900, MALE),
    "1": (1900, FEMALE),
    "2": (2000, MALE),
    "3": (2000, FEMALE),
    "4": (2100, MALE),
    "5": (2100, FEMALE),
    "6": (2200, MALE),
    "7": (2200, FEMALE),
    "8": (2300, MALE),
    "9": (2300, FEMALE),
}

_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]+")


def _compact(value: str | None) -> str:
    return _SPACES.sub("", value or "")


@dataclass(frozen=True)
class PersonalId:
    """Số định danh cá nhân, read into its parts."""

    number: str
    province_code: str
    sex: str  # "male" or "female", the values of tinhso.people.models.Sex
    birth_year: int

    @property
    def province_name(self) -> str:
        return LEGACY_PROVINCE_CODES[self.province_code]

    def __str__(self) -> str:
        return self.number


def parse_personal_id(value: str) -> PersonalId:
    """Read a 12-digit personal identification number; spaces are ignored."""
    number = _compact(value)
    if not number:
        raise InvalidIdentifier("Chưa nhập số định danh cá nhân.")
    if not _DIGITS.fullmatch(number):
        raise InvalidIdentifier("Số định danh cá nhân chỉ gồm chữ số.")
    if len(number) != 12:
        raise InvalidIdentifier(
            f"Số định danh cá nhân phải gồm đúng 12 chữ số (đã nhập {len(number)} chữ số)."
        )
    province_code = number[:3]
    if province_code not in LEGACY_PROVINCE_CODES:
        raise InvalidIdentifier(
            f"Số định danh cá nhân không hợp lệ: {province_code} không phải mã tỉnh, thành phố "
            "nơi đăng ký khai sinh."
        )
    century, sex = _CENTURY_AND_SEX[number[3]]
    return PersonalId(
        number=number,
        province_code=province_code,
        sex=sex,
        birth_year=century + int(number[4:6]),
    )


def validate_personal_id(
    value: str, date_of_birth: date | None = None, *, today: date | None = None
) -> PersonalId:
    """Parse, then check the birth year: not in the future, and the year of `date_of_birth`."""
    personal_id = parse_personal_id(value)
    today = today or date.today()
    if personal_id.birth_year > today.year:
        raise InvalidIdentifier(
            f"Số định danh cá nhân không hợp lệ: năm sinh {personal_id.birth_year} ở tương lai."
        )
    if date_of_birth is not None and date_of_birth.year != personal_id.birth_year:
        raise InvalidIdentifier(
            f"Năm sinh trong số định danh cá nhân ({personal_id.birth_year}) không khớp với "
            f"ngày sinh {date_of_birth:%d/%m/%Y}."
        )
    return personal_id


class TaxCodeKind(StrEnum):
    INDEPENDENT = "independent"  # 10 chữ số: doanh nghiệp, tổ chức (và cá nhân trước 7/2025)
    DEPENDENT = "dependent"  # 13 chữ số: chi nhánh, đơn vị phụ thuộc, địa điểm kinh doanh
    PERSONAL_ID = "personal_id"  # 12 chữ số: cá nhân, hộ kinh doanh (từ 1/7/2025)


@dataclass(frozen=True)
class TaxCode:
    """Mã số thuế. `number` holds the digits only; `display` is the written form."""

    number: str
    kind: TaxCodeKind
    personal_id: PersonalId | None = None

    @property
    def display(self) -> str:
        if self.kind == TaxCodeKind.DEPENDENT:
            return f"{self.number[:10]}-{self.number[10:]}"
        return self.number

    @property
    def parent(self) -> str | None:
        """The 10-digit code of the unit a branch depends on."""
        return self.number[:10] if self.kind == TaxCodeKind.DEPENDENT else None

    def __str__(self) -> str:
        return self.display


TAX_CODE_WEIGHTS: Final = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code_check_digit(first_nine: str) -> int | None:
    """The 10th digit of a tax code: 10 - (weighted sum mod 11), None when that is 10.

    Checked against real codes: 0100109106 (Viettel), 0100112437 (Vietcombank),
    0101248141 (FPT), 0300588569 (Vinamilk). A sum divisible by 11 would need the digit 10,
    so no valid code starts with those nine digits.
    """
    total = sum(w * int(d) for w, d in zip(TAX_CODE_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def parse_tax_code(value: str, *, today: date | None = None) -> TaxCode:
    """Read a tax code: `0100109106`, `0100109106-001` (or without the hyphen), or 12 digits."""
    raw = _compact(value)
    if not raw:
        raise InvalidIdentifier("Chưa nhập mã số thuế.")
    if re.fullmatch(r"[0-9]{10}-[0-9]{3}", raw):
        raw = raw.replace("-", "")
    if not _DIGITS.fullmatch(raw) or len(raw) not in (10, 12, 13):
        raise InvalidIdentifier(
            "Mã số thuế phải gồm 10 chữ số, 13 chữ số (đơn vị phụ thuộc, viết 0100109106-001) "
            "hoặc là số định danh cá nhân 12 chữ số."
        )
    if len(raw) == 12:
        try:
            personal_id = validate_personal_id(raw, today=today)
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(
                f"Mã số thuế {raw} (12 chữ số) phải là số định danh cá nhân hợp lệ. {exc.message}"
            ) from None
        return TaxCode(raw, TaxCodeKind.PERSONAL_ID, personal_id)
    shown = raw if len(raw) == 10 else f"{raw[:10]}-{raw[10:]}"
    if raw[2:9] == "0000000":
        raise InvalidIdentifier(f"Mã số thuế {shown} không hợp lệ: số thứ tự không thể là 0000000.")
    if len(raw) == 13 and raw[10:] == "000":
        raise InvalidIdentifier(
            f"Mã số thuế {shown} không hợp lệ: số thứ tự đơn vị phụ thuộc phải từ 001 đến 999."
        )
    if tax_code_check_digit(raw[:9]) != int(raw[9]):
        raise InvalidIdentifier(f"Mã số thuế {shown} không đúng số kiểm tra (chữ số thứ 10).")
    kind = TaxCodeKind.INDEPENDENT if len(raw) == 10 else TaxCodeKind.DEPENDENT
    return TaxCode(raw, kind)


_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789][0-9]{8}")
_LANDLINE = re.compile(r"02[0-9]{9}")


def normalize_phone(value: str) -> str:
    """A Vietnamese phone number in the national form: 0912345678.

    Accepts 0912345678, +84912345678, 84912345678 and 0084912345678, with spaces, dots,
    hyphens or brackets. Mobile numbers have 10 digits, landlines (02x area codes) 11.
    """
    number = _PHONE_SEPARATORS.sub("", value or "")
    if not number:
        raise InvalidIdentifier("Chưa nhập số điện thoại.")
    for prefix in ("+84", "0084", "84"):
        rest = number[len(prefix) :]
        if number.startswith(prefix) and len(rest.removeprefix("0")) in (9, 10):
            number = "0" + rest.removeprefix("0")  # "+84 (0) 912..." is written too
            break
    if _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number):
        return number
    raise InvalidIdentifier(
        "Số điện thoại không hợp lệ: nhập số di động 10 chữ số (ví dụ 0912345678) "
        "hoặc số cố định có mã vùng."
    )
