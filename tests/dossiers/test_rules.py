"""Pure rules: codes, secrets, file checks, appointment dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tinhso.core.workdays import VIETNAM, statutory_calendar
from tinhso.dossiers import clock, codes
from tinhso.dossiers.uploads import Limits, RejectedFile, check_file

from . import support

RULES = Limits(
    types=("pdf", "jpg", "png", "docx", "xlsx", "odt"),
    max_file_bytes=300_000,
    max_dossier_bytes=500_000,
)


def test_code_has_agency_date_and_four_digit_sequence():
    assert codes.dossier_code("000.00.03.H66", date(2025, 11, 24), 7) == "000.00.03.H66-251124-0007"
    assert codes.dossier_code("H15.50.05.13", date(2026, 10, 8), 975) == "H15.50.05.13-261008-0975"
    assert (
        codes.dossier_code("000.00.03.H66", date(2025, 11, 24), 10000)
        == "000.00.03.H66-251124-10000"
    )
    assert codes.looks_like_code("000.00.03.H66-251124-0007")
    assert not codes.looks_like_code("000.00.03.H66-251124-7")
    with pytest.raises(ValueError):
        codes.dossier_code("000.00.03.H66", date(2025, 11, 24), 0)


def test_secret_alphabet_and_lenient_comparison():
    secret = codes.new_secret()
    assert len(secret) == 10 and set(secret) <= set(codes.SECRET_ALPHABET)
    assert codes.secrets_match("abcd-efgh 23", "ABCDEFGH23")
    assert not codes.secrets_match("ABCDEFGH24", "ABCDEFGH23")
    assert not codes.secrets_match("", "ABCDEFGH23")


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (support.pdf_bytes, "pdf"),
        (support.png_bytes, "png"),
        (support.jpeg_bytes, "jpg"),
        (support.docx_bytes, "docx"),
        (support.xlsx_bytes, "xlsx"),
        (support.odt_bytes, "odt"),
    ],
)
def test_accepted_types_are_recognised_by_content(make, kind):
    assert check_file("ten-bat-ky.bin", make(), already_in_dossier=0, rules=RULES) == kind


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 an executable renamed to .pdf",
        b"%PDF-1.4 truncated, no end of file marker",
        b"\x89PNG\r\n\x1a\n but not an image",
        support.plain_zip_bytes(),
        b"<html>not a document</html>",
    ],
)
def test_other_content_is_refused_whatever_the_name(content):
    with pytest.raises(RejectedFile) as refused:
        check_file("giay-to.pdf", content, already_in_dossier=0, rules=RULES)
    assert refused.value.message == (
        "Tệp “giay-to.pdf” không phải là tệp hợp lệ thuộc các định dạng được chấp nhận "
        "(PDF, JPEG, PNG, DOCX, XLSX, ODT); hệ thống kiểm tra nội dung tệp, không dựa vào tên tệp."
    )


def test_size_limits_per_file_and_per_dossier():
    big = support.pdf_bytes(pad_to=310_000)
    with pytest.raises(RejectedFile) as refused:
        check_file("lon.pdf", big, already_in_dossier=0, rules=RULES)
    assert "vượt quá giới hạn 293 KB cho mỗi tệp" in refused.value.message
    with pytest.raises(RejectedFile) as refused:
        check_file(
            "them.pdf", support.pdf_bytes(pad_to=200_000), already_in_dossier=400_000, rules=RULES
        )
    assert "tổng dung lượng hồ sơ sẽ vượt quá 488 KB" in refused.value.message
    with pytest.raises(RejectedFile, match="rỗng"):
        check_file("rong.pdf", b"", already_in_dossier=0, rules=RULES)


def test_types_are_configurable(settings):
    settings.DOSSIER_FILE_TYPES = "pdf"
    with pytest.raises(RejectedFile, match=r"\(PDF\)"):
        check_file("anh.png", support.png_bytes(), already_in_dossier=0)
    assert check_file("don.pdf", support.pdf_bytes(), already_in_dossier=0) == "pdf"


CAL = statutory_calendar()


def _due(start: datetime, days: Decimal | None, hours: Decimal | None, **kw) -> datetime:
    return clock.appointment(CAL, start, clock.budget(CAL, start, days=days, hours=hours), **kw)


def test_appointment_in_working_days_skips_the_weekend():
    # Friday 21/11/2025 09:00 + 10 working days = Friday 05/12/2025 09:00
    start = datetime(2025, 11, 21, 9, 0, tzinfo=VIETNAM)
    assert _due(start, Decimal(10), None) == datetime(2025, 12, 5, 9, 0, tzinfo=VIETNAM)


def test_appointment_skips_the_national_day_holiday():
    # Friday 29/08/2025 10:00 + 3 working days: 1 and 2 September 2025 are holidays
    start = datetime(2025, 8, 29, 10, 0, tzinfo=VIETNAM)
    assert _due(start, Decimal(3), None) == datetime(2025, 9, 5, 10, 0, tzinfo=VIETNAM)


def test_appointment_in_working_hours_and_within_the_day():
    start = datetime(2025, 11, 24, 16, 0, tzinfo=VIETNAM)  # Monday
    assert _due(start, None, Decimal(4)) == datetime(2025, 11, 25, 10, 30, tzinfo=VIETNAM)
    assert _due(start, None, None) == datetime(2025, 11, 24, 17, 0, tzinfo=VIETNAM)
    saturday = datetime(2025, 11, 22, 9, 0, tzinfo=VIETNAM)
    start = clock.clock_start(CAL, saturday)
    assert _due(start, None, None) == datetime(2025, 11, 24, 17, 0, tzinfo=VIETNAM)


def test_supplement_pause_moves_the_appointment_by_working_time_only():
    start = datetime(2025, 11, 24, 9, 0, tzinfo=VIETNAM)  # Monday
    # asked Tuesday 09:00, answered Thursday 09:00: two working days paused
    pauses = [
        (
            datetime(2025, 11, 25, 9, 0, tzinfo=VIETNAM),
            datetime(2025, 11, 27, 9, 0, tzinfo=VIETNAM),
        )
    ]
    paused = clock.paused(CAL, pauses, now=datetime(2025, 12, 1, tzinfo=VIETNAM))
    assert paused == timedelta(hours=16)
    due = _due(start, Decimal(5), None, pauses=pauses)
    assert due == datetime(2025, 12, 3, 9, 0, tzinfo=VIETNAM)
