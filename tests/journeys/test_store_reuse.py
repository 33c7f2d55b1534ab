"""Reuse by reference (Decree 45/2020/NĐ-CP, once only): the demo citizen, whose earlier
dossier produced an electronic result (sealed, with its /xac-thuc/ code), files "Đăng ký lại
khai sinh", picks that result from "Kho dữ liệu" for the birth-certificate component instead
of uploading it, and submits; the receiving officer `tiepnhan` opens the dossier and sees the
file marked as taken from the store, with the agency's valid signature. Only clicks and typing
from the catalogue search."""

from __future__ import annotations

import re

from playwright.sync_api import expect

DEMO_CITIZEN = "0912345678"
COMPONENT = "+ Bản sao Giấy khai sinh do cơ quan có thẩm quyền"


def test_citizen_reuses_a_stored_result_and_the_officer_sees_it(journey):
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.goto("/thu-tuc/")
    page.get_by_label(re.compile("Tìm thủ tục")).fill("dang ky lai khai sinh")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Đăng ký lại khai sinh", exact=True).first.click()
    page.wait_for_load_state()
    citizen.check("thu-tuc")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.wait_for_load_state()
    page.get_by_label(re.compile("Cơ quan giải quyết")).select_option(
        label="Ủy ban nhân dân phường Tuy Hòa"
    )
    page.get_by_role("button", name="Bắt đầu nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("to-khai")
    page.get_by_label(re.compile("^Nội dung đề nghị")).fill(
        "Đăng ký lại khai sinh do sổ hộ tịch gốc bị hư hỏng."
    )
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("giay-to")

    # the component offers the stored electronic result: picked, not uploaded
    page.get_by_text(COMPONENT).first.click()
    opened = page.locator("details[open]").filter(has_text=COMPONENT).first
    picker = opened.get_by_label("Hoặc chọn giấy tờ đã có trong kho dữ liệu của Ông/Bà")
    # the demo's sealed result, by its signature state: earlier journeys on the same site may
    # have returned newer, unsealed results to the demo citizen, offered first
    result = (
        picker.locator("option", has_text="Kết quả hồ sơ")
        .filter(has_text="có chữ ký số của cơ quan, đã kiểm tra")
        .first.inner_text()
    )
    picker.select_option(label=result)
    opened.get_by_role("button", name="Dùng giấy tờ này").click()
    page.wait_for_load_state()
    citizen.check("da-chon-tu-kho")
    opened = page.locator("details[open]").filter(has_text=COMPONENT).first
    expect(opened).to_contain_text("từ kho dữ liệu")
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    page.wait_for_load_state()
    page.locator("input[name=delivery][value=online]").check()
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("xem-lai")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("da-nop")
    found = re.search(r"Mã hồ sơ của Ông/Bà là ([0-9A-Z.\-]+)", page.inner_text("main"))
    assert found, "no dossier code after submission"
    code = found.group(1).rstrip(".")

    desk = journey.person("tiepnhan")
    desk.sign_in_official("tiepnhan")
    dpage = desk.page
    desk.goto("/mot-cua/")  # the officer's start page
    dpage.get_by_role("navigation", name="Hàng đợi công việc").get_by_role(
        "link", name=re.compile("^Chờ tiếp nhận")
    ).click()
    dpage.wait_for_load_state()
    desk.check("cho-tiep-nhan")
    dpage.get_by_role("link", name=code, exact=True).click()
    dpage.wait_for_load_state()
    desk.check("ho-so")
    component = dpage.locator("li.component").filter(has_text=COMPONENT).first
    expect(component).to_contain_text("Lấy từ kho dữ liệu")
    expect(component.locator("[data-provenance]")).to_contain_text(
        "Tái sử dụng từ kho dữ liệu: kết quả hồ sơ"
    )
    signature = component.locator("[data-signature]")
    expect(signature).to_have_attribute("data-signature", "agency_verified")
    expect(signature).to_contain_text("Chữ ký số của cơ quan cấp: hợp lệ (đã kiểm tra)")
