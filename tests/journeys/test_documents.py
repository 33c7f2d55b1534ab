"""Journey 4: the clerk (văn thư) records an incoming paper document and puts it in the
register; a draft decision is written, sent through review to the leader, approved, signed
by the leader and issued by the clerk; the issued file carries the document's number.
"""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect

CLERK = "vanthu"
LEADER = "lanhdao"


def scan() -> bytes:
    """A one-page scan of a paper letter, as a scanner writes it."""
    buffer = io.BytesIO()
    Image.new("RGB", (420, 595), (250, 250, 245)).save(buffer, "PDF")
    return buffer.getvalue()


def test_the_clerk_records_paper_mail_and_a_decision_is_drafted_reviewed_signed_issued(
    journey,
):
    clerk = journey.person("van-thu")
    page = clerk.page
    clerk.sign_in_official(CLERK)
    clerk.check("da-dang-nhap")
    clerk.goto("/van-ban/viec-cua-toi/")
    clerk.check("viec-cua-toi")

    # An incoming letter on paper: scanned, recorded, put in the register.
    page.get_by_role("link", name="Tiếp nhận văn bản giấy").click()
    page.wait_for_load_state()
    clerk.check("tiep-nhan-giay")
    subject = f"Về việc đề nghị sửa chữa đường liên xã ({journey.unique})"
    page.get_by_label(re.compile("^" + re.escape("Số, ký hiệu"))).fill("27/UBND-KT")
    page.get_by_label(re.compile("^" + re.escape("Ngày văn bản"))).fill("2026-11-30")
    page.get_by_label(re.compile("^" + re.escape("Nơi gửi"))).fill("Ủy ban nhân dân xã Ea Kao")
    page.get_by_role("textbox", name=re.compile("^Trích yếu")).fill(subject)
    page.get_by_label(re.compile("^" + re.escape("Bản quét (PDF)"))).set_input_files(
        files=[{"name": "cong-van-27.pdf", "mimeType": "application/pdf", "buffer": scan()}]
    )
    page.get_by_role("button", name="Tiếp nhận", exact=True).click()
    page.wait_for_load_state()
    clerk.check("da-tiep-nhan")
    expect(page.get_by_text("Đã tiếp nhận văn bản giấy")).to_be_visible()
    page.get_by_role("button", name="Vào sổ văn bản đến").click()
    page.wait_for_load_state()
    clerk.check("da-vao-so")
    expect(page.get_by_text("Đã vào sổ văn bản đến")).to_be_visible()

    # A draft decision from the agency's template, sent to the leader for review.
    clerk.goto("/van-ban/viec-cua-toi/")
    page.get_by_role("link", name="Soạn dự thảo văn bản").click()
    page.wait_for_load_state()
    clerk.check("soan-du-thao")
    page.get_by_label(re.compile("^" + re.escape("Loại văn bản"))).select_option(label="Quyết định")
    decision = f"Quyết định phê duyệt kế hoạch sửa chữa đường liên xã ({journey.unique})"
    page.get_by_role("textbox", name=re.compile("^Trích yếu")).fill(decision)
    page.get_by_label(re.compile("^Nội dung")).fill(
        "Điều 1. Phê duyệt kế hoạch sửa chữa đường liên xã Ea Kao.\n"
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký."
    )
    page.get_by_label(re.compile("^Người ký:")).select_option(index=1)
    page.get_by_role(
        "checkbox", name="Sở Tư pháp tỉnh Đắk Lắk", exact=True
    ).check()  # a checkbox, not a Ctrl-click list
    page.get_by_role("button", name="Tạo dự thảo").click()
    page.wait_for_load_state()
    clerk.check("du-thao")
    expect(page.get_by_text("Đã tạo dự thảo")).to_be_visible()
    draft_url = page.url
    first = page.get_by_label(re.compile("^" + re.escape("Người duyệt thứ nhất")))
    assert first.locator("option").count() > 1, "the review chain offers nobody"
    first.select_option(index=1)
    page.get_by_role("button", name="Trình duyệt", exact=True).click()
    page.wait_for_load_state()
    clerk.check("da-trinh")
    expect(page.get_by_text("Đã trình duyệt dự thảo")).to_be_visible()
    # The clerk cannot approve, sign or issue it now: no such buttons.
    for name in ("Duyệt dự thảo", "Ký số", "Cấp số và phát hành"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)

    # The leader approves and signs.
    leader = journey.person("lanh-dao")
    desk = leader.page
    leader.sign_in_official(LEADER)
    leader.check("da-dang-nhap")
    leader.goto("/van-ban/viec-cua-toi/")
    leader.check("viec-cua-toi")
    desk.get_by_role("link", name=decision).first.click()
    desk.wait_for_load_state()
    leader.check("du-thao")
    desk.get_by_role("button", name="Duyệt dự thảo", exact=True).click()
    desk.wait_for_load_state()
    leader.check("da-duyet")
    expect(desk.get_by_text("Đã duyệt dự thảo")).to_be_visible()
    desk.get_by_role("button", name="Ký số", exact=True).click()
    desk.wait_for_load_state()
    leader.check("da-ky")
    expect(desk.get_by_text("Đã ký số văn bản")).to_be_visible()

    # The clerk issues it: a number, the agency's signature, sent to the recipients.
    page.goto(draft_url)
    page.wait_for_load_state()
    clerk.check("cho-phat-hanh")
    page.get_by_role("button", name="Cấp số và phát hành").click()
    page.wait_for_load_state()
    clerk.check("da-phat-hanh")
    issued = page.get_by_text(re.compile(r"Đã phát hành văn bản số \d+/QĐ-UBND"))
    expect(issued).to_be_visible()
    number = re.search(r"số (\d+)/QĐ-UBND", issued.inner_text()).group(1)  # type: ignore[union-attr]
    link = page.get_by_role("link", name=f"{number}-QD-UBND.pdf")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{number}-QD-UBND.pdf"

    # The clerk finds both later by typing part of the subject, the last word unfinished.
    page.get_by_role("link", name="Danh sách văn bản").click()
    page.wait_for_load_state()
    page.get_by_label("Tìm theo trích yếu, nội dung, số ký hiệu").fill(
        f"{journey.unique} sửa chữa đư"
    )
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_load_state()
    clerk.check("tim-van-ban")
    expect(page.get_by_role("link", name=decision)).to_be_visible()
    expect(page.get_by_role("link", name=subject)).to_be_visible()
