"""Journey 6, the administrator: a new one-stop officer gets an account, a second factor and a
role in the admin, and can then sign in and find the work waiting.

Also the error pages as a person meets them: an unknown address is the site's Vietnamese 404
page, with the way back home.
"""

from __future__ import annotations

import re

from django_otp.oath import totp

ADMIN = "quantri"
AGENCY = "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk"
NEW_PASSWORD = "Tiep-nhan-mot-cua-2025"


def _code(secret: str) -> str:
    """What the officer's authenticator app shows for the secret the admin page gave."""
    import base64

    return f"{totp(base64.b32decode(secret)):06d}"


def test_administrator_opens_an_account_for_a_new_one_stop_officer(journey):
    username = f"tiepnhan{journey.unique}"
    full_name = f"Lê Thị Mới {journey.unique}"

    admin = journey.person("quan-tri")
    page = admin.page
    admin.sign_in_official(ADMIN)
    if "/quan-tri/" not in page.url:  # an administrator's work is the admin: usually already there
        admin.check("sau-dang-nhap")
        page.get_by_role("link", name="Quản trị hệ thống").click()
        page.wait_for_load_state()
    admin.check("trang-quan-tri")
    assert page.get_by_role("heading", name="Danh mục quản trị").is_visible()

    # The account: user name, name, contact and a first password.
    page.get_by_role("link", name="Tài khoản", exact=True).first.click()
    page.wait_for_load_state()
    admin.check("danh-sach-tai-khoan")
    page.locator(".object-tools").get_by_role("link", name=re.compile(r"^Thêm")).click()
    page.wait_for_load_state()
    admin.check("them-tai-khoan")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ và tên").fill(full_name)
    page.get_by_label("Địa chỉ email").fill(f"{username}@daklak.gov.vn")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile(r"^Lưu lại$")).click()
    page.wait_for_load_state()
    admin.check("da-tao-tai-khoan")
    assert username in page.locator(".messagelist").inner_text()

    # Its second factor: the action shows the secret once, for the officer's phone. Saving
    # came back to the list of accounts.
    search = page.locator("#changelist-search").get_by_role("textbox")
    search.fill(username)
    search.press("Enter")
    page.wait_for_load_state()
    admin.check("tim-tai-khoan")
    page.get_by_role("row", name=re.compile(username)).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(
        label="Cấp thiết bị xác thực (TOTP) cho các cán bộ đã chọn"
    )
    page.get_by_role("button", name="Đi đến").click()
    page.wait_for_load_state()
    admin.check("cap-ma-xac-thuc")
    secret = page.locator("figcaption code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    # The role: receiving officer at the province's public service centre.
    page.get_by_role("link", name=re.compile("Trang chủ|Trang quản trị")).first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Vai trò", exact=True).first.click()
    page.wait_for_load_state()
    admin.check("danh-sach-vai-tro")
    page.locator(".object-tools").get_by_role("link", name=re.compile(r"^Thêm")).click()
    page.wait_for_load_state()
    admin.check("them-vai-tro")
    officer_option = page.locator("#id_user option", has_text=username)
    page.locator("#id_user").select_option(officer_option.get_attribute("value"))
    page.locator("#id_agency + .select2").click()
    page.locator(".select2-search__field").fill("Phục vụ hành chính công")
    page.locator(".select2-results__option", has_text=AGENCY).first.click()
    page.locator("#id_role").select_option(label="cán bộ tiếp nhận một cửa")
    page.get_by_label("Chức vụ").fill("Chuyên viên tiếp nhận hồ sơ")
    page.get_by_role("button", name=re.compile(r"^Lưu lại$")).click()
    page.wait_for_load_state()
    admin.check("da-giao-vai-tro")
    assert username in page.locator("#result_list").inner_text()

    page.get_by_role("button", name=re.compile("^Thoát$", re.IGNORECASE)).click()
    page.wait_for_load_state()
    admin.check("da-dang-xuat")
    assert page.get_by_role("link", name="Đăng nhập").count() >= 1

    # It takes effect: the officer signs in with the code from the phone and sees the work.
    officer = journey.person("can-bo-moi")
    officer.sign_in(username, NEW_PASSWORD)
    officer.page.wait_for_url(re.compile(r"/ma-xac-thuc/"))
    officer.check("ma-xac-thuc")
    officer.page.fill("#id_code", _code(secret))
    officer.page.press("#id_code", "Enter")
    officer.page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    officer.check("viec-cua-can-bo")
    assert officer.page.get_by_role("link", name="Hồ sơ một cửa").count() >= 1
    assert full_name in officer.page.locator("header").inner_text()


def test_an_unknown_address_is_the_sites_page_with_a_way_home(journey):
    visitor = journey.person("khach")
    page = visitor.page
    visitor.goto(f"/khong-co-trang-nay-{journey.unique}/")
    visitor.check("trang-khong-co", status=404)
    assert page.get_by_role("heading", level=1).inner_text() == "Không tìm thấy trang"
    page.get_by_role("link", name="Về trang chủ").click()
    page.wait_for_load_state()
    visitor.check("trang-chu")
    assert "Cổng dịch vụ công" in page.get_by_role("heading", level=1).inner_text()
