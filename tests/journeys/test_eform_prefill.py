"""E-form prefill with its source shown (Decree 45/2020/NĐ-CP, issue 14): the demo citizen
keeps a contact address on the account page, starts a dossier and finds "Nơi cư trú" already
filled, marked "Lấy từ tài khoản"; they change it, and the form no longer claims a source for
their own words. Only clicks and typing; the address is this walk's own."""

from __future__ import annotations

import re

from playwright.sync_api import expect

DEMO_CITIZEN = "0912345678"
PROCEDURE = "2.001610"  # Đăng ký thành lập doanh nghiệp tư nhân: online, one agency


def test_the_form_starts_from_the_account_and_says_so(journey):
    address = f"{journey.unique} Lê Duẩn, phường Buôn Ma Thuột, tỉnh Đắk Lắk"
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    page.get_by_role("link", name="Nguyễn Văn An").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Sửa họ tên, địa chỉ").click()
    page.wait_for_load_state()
    citizen.check("sua-thong-tin")
    page.get_by_label("Địa chỉ liên hệ").fill(address)
    page.get_by_role("button", name="Lưu thông tin").click()
    page.wait_for_load_state()
    citizen.check("da-luu")

    citizen.goto(f"/thu-tuc/{PROCEDURE}/")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Bắt đầu nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("to-khai")
    residence = page.get_by_label(re.compile("^Nơi cư trú"))
    expect(residence).to_have_value(address)
    field = page.locator(".ef-field").filter(has=residence)
    expect(field.locator("[data-source]")).to_have_text("Lấy từ tài khoản")
    # the source is read with the field, not only seen beside it
    described = residence.get_attribute("aria-describedby") or ""
    source_id = field.locator("[data-source]").get_attribute("id")
    assert source_id and source_id in described.split()

    # the citizen's own words have no source
    residence.fill("Thôn 2, xã Hòa Thắng, tỉnh Đắk Lắk")
    page.get_by_label(re.compile("^Nội dung đề nghị")).fill(
        f"Đăng ký doanh nghiệp tư nhân Bình Minh {journey.unique}."
    )
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("giay-to")
    page.get_by_role("navigation", name="Các bước nộp hồ sơ").get_by_role(
        "link", name="Tờ khai"
    ).click()
    page.wait_for_load_state()
    citizen.check("to-khai-da-sua")
    residence = page.get_by_label(re.compile("^Nơi cư trú"))
    expect(residence).to_have_value("Thôn 2, xã Hòa Thắng, tỉnh Đắk Lắk")
    field = page.locator(".ef-field").filter(has=residence)
    expect(field.locator("[data-source]")).to_have_count(0)
