"""Journey 7 (issue 13): a citizen files online a dossier with a fee due at submission and
pays at the one-stop desk; the receiving officer signs in with two factors, finds the dossier
in the reception queue marked unpaid, records the cash payment with the number of the paper
receipt by clicking and typing, sees it paid and downloads the electronic receipt."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

DEMO_CITIZEN = "0912345678"
# The procedure the payments demo charges (docs/payments.md, "Commands"): the most popular
# online one with a fee due at submission, Đăng ký thành lập doanh nghiệp tư nhân.
PROCEDURE = "2.001610"
DESK = "tiepnhan"  # the provincial service centre's desk receives for every department


def file_online(journey) -> str:
    """The demo citizen files the procedure online by clicking; the dossier's code."""
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.goto(f"/thu-tuc/{PROCEDURE}/")
    citizen.check("thu-tuc")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.wait_for_load_state()
    citizen.check("bat-dau")
    page.get_by_role("button", name="Bắt đầu nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("to-khai")
    page.get_by_label(re.compile("^Nội dung đề nghị")).fill(
        f"Đăng ký thành lập doanh nghiệp tư nhân Hoa Sen {journey.unique}."
    )
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("giay-to")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("nhan-ket-qua")
    page.locator("input[name=delivery]").first.check()
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("xem-lai")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("da-nop")
    found = re.search(r"Mã hồ sơ của Ông/Bà là ([0-9A-Z.\-]+)", page.inner_text("main"))
    assert found, "no dossier code after submission"
    return found.group(1).rstrip(".")


def test_the_desk_records_a_cash_payment_and_opens_the_receipt(journey):
    code = file_online(journey)
    receipt_no = f"BL-{journey.unique.upper()}"

    officer = journey.person("can-bo-tiep-nhan")
    officer.sign_in_official(DESK)
    officer.check("da-dang-nhap")
    page = officer.page
    officer.goto("/mot-cua/")
    officer.check("mot-cua")
    page.get_by_role("navigation", name="Hàng đợi công việc").get_by_role(
        "link", name=re.compile("^Chờ tiếp nhận")
    ).click()
    page.wait_for_load_state()
    officer.check("hang-doi")
    row = page.locator("tr, li").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(row.first).to_contain_text("Chưa nộp phí, lệ phí")
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_load_state()
    officer.check("ho-so")
    expect(page.locator("#phi-le-phi")).to_contain_text("Chưa nộp phí, lệ phí")

    # the way to the form from the top of the page, then the form itself
    page.get_by_role("link", name="Hồ sơ còn phí, lệ phí chưa nộp: thu tại quầy").click()
    form = page.locator("form").filter(has=page.get_by_label("Số biên lai"))
    expect(form).to_contain_text("100.000 đồng")
    # sent without a number first: told next to the field, nothing recorded
    form.get_by_role("button", name="Ghi nhận đã thu").click()
    page.wait_for_load_state()
    officer.check("thieu-so-bien-lai", status=422)
    form = page.locator("form").filter(has=page.get_by_label("Số biên lai"))
    expect(form).to_contain_text("Hãy ghi số biên lai (tối đa 60 ký tự).")
    form.get_by_label("Tiền mặt").check()
    form.get_by_label("Số biên lai").fill(receipt_no)
    form.get_by_role("button", name="Ghi nhận đã thu").click()
    page.wait_for_load_state()
    officer.check("da-thu")
    main = page.locator("main")
    expect(main).to_contain_text(
        f"Đã ghi nhận khoản thu 100.000 đồng (Tiền mặt), biên lai số {receipt_no}."
    )
    expect(page.locator("#phi-le-phi")).to_contain_text("Đã nộp phí, lệ phí")
    assert page.get_by_role("button", name="Ghi nhận đã thu").count() == 0

    # the worker issues the electronic receipt just after the payment: the page shows it then
    deadline = time.monotonic() + 60
    while True:
        link = page.locator("#phi-le-phi").get_by_role("link", name=re.compile("^Biên lai"))
        if link.count():
            break
        assert time.monotonic() < deadline, "no receipt a minute after the payment"
        page.wait_for_timeout(1000)
        officer.goto(f"/mot-cua/ho-so/{code}/")
    officer.check("co-bien-lai")
    with page.expect_download() as got:
        link.click()
    assert got.value.suggested_filename.startswith("bien-lai-")
    assert got.value.path().read_bytes().startswith(b"%PDF-")

    # the reception queue now tags it paid
    officer.goto("/mot-cua/hang-doi/cho-tiep-nhan/")
    officer.check("hang-doi-da-nop")
    row = page.locator("tr, li").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(row.first).to_contain_text("Đã nộp phí, lệ phí")
