"""Journey 3: the one-stop officer asks for a supplement, the citizen answers with a file and a
note from a phone, the officer sees the new file and takes the dossier in."""

from __future__ import annotations

import io
import re

from PIL import Image

DEMO_CITIZEN = "0912345678"
PROCEDURE = "1.115350"  # Cấp lại Giấy chứng nhận do bị mất: received at the provincial centre


def scan() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 320), (245, 245, 240)).save(buffer, "PDF")
    return buffer.getvalue()


def submit_dossier(citizen, unique: str) -> str:
    page = citizen.page
    citizen.goto(f"/thu-tuc/{PROCEDURE}/")
    citizen.check("thu-tuc")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.wait_for_load_state()
    citizen.check("bat-dau")
    page.get_by_role("button", name="Bắt đầu nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("to-khai")
    for field in page.locator("form.journey [required]").all():
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(index=1)
        elif not field.input_value():
            label = field.get_attribute("id") or ""
            value = {"applicant_id": "066190001234", "applicant_phone": "0912345678"}
            field.fill(next((v for k, v in value.items() if k in label), f"Xin cấp lại {unique}"))
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


def test_officer_asks_for_a_supplement_and_the_citizen_answers_with_a_file(journey):
    citizen = journey.person("cong-dan")
    citizen.sign_in(DEMO_CITIZEN)
    citizen.page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    code = submit_dossier(citizen, journey.unique)

    officer = journey.person("can-bo-tiep-nhan")
    desk = officer.page
    officer.sign_in_official("tiepnhan")
    officer.check("mot-cua")
    officer.goto(f"/mot-cua/ho-so/{code}/")
    officer.check("ho-so")
    asking = desk.locator("summary").filter(has_text=re.compile("bổ sung", re.IGNORECASE))
    if asking.count():  # among the other actions, folded
        asking.first.click()
    form = desk.locator("form[action$='/request_supplement/']")
    form.get_by_label("Nội dung chung").fill(f"Thiếu bản sao căn cước ({journey.unique})")
    form.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    desk.wait_for_load_state()
    if desk.get_by_role("button", name=re.compile("Xác nhận")).count():
        desk.get_by_role("button", name=re.compile("Xác nhận")).first.click()
        desk.wait_for_load_state()
    officer.check("da-yeu-cau-bo-sung")
    assert "Yêu cầu bổ sung hồ sơ" in desk.inner_text("main")

    # the citizen, on the phone: the request, a file box and a note box, one button
    page = citizen.page
    page.get_by_role("link", name=re.compile("Hồ sơ của tôi")).first.click()
    page.wait_for_load_state()
    citizen.check("ho-so-cua-toi")
    page.get_by_role("link", name=code).click()
    page.wait_for_load_state()
    citizen.check("yeu-cau-bo-sung")
    supplement = page.locator("#bo-sung")
    assert f"Thiếu bản sao căn cước ({journey.unique})" in supplement.inner_text()
    supplement.locator("input[type=file]").set_input_files(
        {"name": "ban-sao-can-cuoc.pdf", "mimeType": "application/pdf", "buffer": scan()}
    )
    supplement.get_by_label(re.compile("Ghi chú cho cán bộ")).fill("Tôi gửi bản sao căn cước.")
    supplement.get_by_role("button", name="Nộp bổ sung").click()
    page.wait_for_load_state()
    citizen.check("da-nop-bo-sung")
    assert "Đã nộp bổ sung hồ sơ." in page.inner_text("main")
    assert page.locator("#bo-sung").count() == 0

    # the officer sees the new file and the note, and takes the dossier in
    officer.goto(f"/mot-cua/ho-so/{code}/")
    officer.check("ho-so-da-bo-sung")
    main = desk.inner_text("main")
    assert "ban-sao-can-cuoc.pdf" in main
    desk.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    desk.wait_for_load_state()
    if desk.get_by_role("button", name=re.compile("Xác nhận")).count():
        desk.get_by_role("button", name=re.compile("Xác nhận")).first.click()
        desk.wait_for_load_state()
    officer.check("da-tiep-nhan")
    assert "Đã tiếp nhận" in desk.inner_text("main") or "đã tiếp nhận" in desk.inner_text("main")
