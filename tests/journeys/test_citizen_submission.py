"""Journey 1: a citizen finds birth registration, submits it online with files, keeps the
receipt, and later opens the dossier's status from the receipt's QR link in a fresh browser.
"""

from __future__ import annotations

import io
import re

from PIL import Image
from pypdf import PdfReader

DEMO_CITIZEN = "0912345678"


def small_pdf() -> bytes:
    """A real one-page PDF (Giấy chứng sinh, scanned), made the way a scanner app would."""
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), (250, 250, 245)).save(buffer, "PDF")
    return buffer.getvalue()


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 220, 240)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def link_in(text: str) -> str:
    """The look-up link printed beside the QR code (it may wrap over lines)."""
    compact = re.sub(r"\s+", "", text)
    found = re.search(r"https?://[^/]+(/tra-cuu-ho-so/qr/[A-Za-z0-9._~%:-]+/)", compact)
    assert found, "no look-up link on the receipt"
    return found.group(1)


def test_citizen_submits_birth_registration_and_looks_it_up_from_the_receipt(journey, site):
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.check("da-dang-nhap")

    # search without diacritics, open the procedure
    citizen.goto("/thu-tuc/")
    citizen.check("danh-muc")
    page.get_by_label(re.compile("Tìm thủ tục")).fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_load_state()
    citizen.check("ket-qua-tim")
    page.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    page.wait_for_load_state()
    citizen.check("thu-tuc")
    assert "chưa xác nhận" not in page.content()

    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.wait_for_load_state()
    citizen.check("bat-dau")
    agency = page.get_by_label(re.compile("Cơ quan giải quyết"))
    agency.select_option(index=1)
    page.get_by_role("button", name="Bắt đầu nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("to-khai")

    # the e-form: the applicant's name, number, phone and e-mail come from the account
    answers = {
        "Nơi cư trú": "Thôn 3, xã Ea Kao, tỉnh Đắk Lắk",
        "Họ, chữ đệm, tên của trẻ": "Trần Minh An",
        "Nơi sinh": "Bệnh viện Đa khoa vùng Tây Nguyên",
        "Họ, chữ đệm, tên người mẹ": "Nguyễn Thị Hoa",
        "Họ, chữ đệm, tên người cha": "Trần Văn Bình",
    }
    for label, value in answers.items():
        page.get_by_label(re.compile("^" + re.escape(label))).fill(value)
    page.get_by_label(re.compile("^Ngày, tháng, năm sinh")).fill("2026-11-20")
    page.get_by_label(re.compile("^Giới tính")).select_option("Nam")
    page.get_by_label(re.compile("^Quan hệ với người được khai sinh")).select_option("Mẹ")
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("giay-to")

    # files: the documents are listed first, the legal notes folded
    assert page.get_by_text(re.compile("Lưu ý theo quy định")).count() == 1
    page.get_by_text(re.compile("Giấy chứng sinh; trường hợp không có")).first.click()
    birth = page.locator("details[open]").filter(has_text="Giấy chứng sinh").first
    birth.locator("input[type=file]").set_input_files(
        [
            {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": small_pdf()},
            {"name": "anh-giay-chung-sinh.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()},
        ]
    )
    # "Tiếp tục" before "Tải lên" would lose the chosen files: the page stops and says so
    here = page.url
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    page.get_by_role("alert").filter(has_text="chưa bấm «Tải lên»").wait_for()
    assert page.url == here
    birth.get_by_role("button", name=re.compile("Tải lên")).click()
    page.wait_for_load_state()
    page.get_by_text("Đã tải lên 2 tệp.").wait_for()
    citizen.check("da-tai-len")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("nhan-ket-qua")

    # the electronic result is offered first
    first = page.locator("input[name=delivery]").first
    assert first.get_attribute("value") == "online"
    first.check()
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("xem-lai")
    text = page.inner_text("main")
    assert "20/11/2026" in text and "2026-11-20" not in text
    # birth registration is free online: the review says so and names no amount
    assert "Hồ sơ này không phải nộp phí, lệ phí khi nộp trực tuyến." in text
    assert not re.search(r"\d đồng", text)

    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("da-nop")
    code = re.search(r"Mã hồ sơ của Ông/Bà là ([0-9A-Z.\-]+)", page.inner_text("main"))
    assert code, "no dossier code after submission"
    code = code.group(1).rstrip(".")
    detail = page.inner_text("main")
    assert "Đánh giá" not in detail  # rating comes after the result
    assert not re.search(r"\d đồng|phí", detail)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Tải giấy tiếp nhận")).click()
    receipt = download_info.value.path().read_bytes()
    assert receipt.startswith(b"%PDF-")
    receipt_text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(receipt)).pages)
    assert code in receipt_text
    assert "chờ tiếp nhận" in receipt_text and "đã tiếp nhận hồ sơ" not in receipt_text
    link = link_in(receipt_text)

    # "Hồ sơ của tôi" on a phone: the due date is there, not cut off
    page.get_by_role("link", name=re.compile("Hồ sơ của tôi")).first.click()
    page.wait_for_load_state()
    citizen.check("ho-so-cua-toi")

    # later, on another phone: scanning the QR opens the status, nothing to type
    relative = journey.person("nguoi-than")
    relative.goto(link)
    relative.check("quet-ma-qr")
    status = relative.page.inner_text("main")
    assert code in status
    assert "Đã nộp, chờ tiếp nhận" in status
    assert "Nguyễn Thị Hoa" not in status  # initials only

    # a link that was not made by the site shows the typed look-up, not someone's dossier
    relative.goto(link.replace("/qr/", "/qr/x"))
    relative.check("ma-qr-sai", status=404)
    assert code not in relative.page.inner_text("main")
