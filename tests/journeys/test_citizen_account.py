"""Getting in: a new citizen signs up on a phone, forgets the password and gets back in; an
official signs in with the second factor and lands on their work.

Codes are read where a person reads them: the SMS in the server log (the local SMS adapter),
the e-mail in var/mail/ (the local e-mail adapter).
"""

from __future__ import annotations

import hashlib
import re

PASSWORD = "mat-khau-cua-binh-2026"
NEW_PASSWORD = "mat-khau-moi-cua-binh-2027"
CODE = r"(?<!\d)(\d{6})(?!\d)"


def phone_for(unique: str) -> str:
    """A mobile number no other run uses (098 and seven digits)."""
    return "098" + f"{int(hashlib.sha256(unique.encode()).hexdigest(), 16) % 10**7:07d}"


def sms_code(site, phone: str, after: int) -> str:
    line = site.wait_for_log(rf"SMS to {phone} [^\n]*", after=after).group(0)
    found = re.search(CODE, line.split("):", 1)[1])
    assert found, line
    return found.group(1)


def mail_code(site, to: str, after: int) -> str:
    message = site.wait_for_mail(to, after=after)
    found = re.search(CODE, message.get_content())
    assert found, message.get_content()
    return found.group(1)


def click(person, role: str, name: str) -> None:
    person.page.get_by_role(role, name=re.compile(name)).first.click()
    person.page.wait_for_load_state()


def test_a_citizen_signs_up_with_a_phone_resets_the_password_and_edits_the_account(
    journey,
):
    site = journey.site
    phone = phone_for(journey.unique)
    binh = journey.person("binh")
    page = binh.page

    binh.goto("/")
    binh.check("trang-chu")
    click(binh, "link", "^Đăng ký$")
    binh.check("dang-ky")
    page.get_by_label("Họ và tên").fill("Trần Thị Bình")
    page.get_by_label("Số điện thoại di động hoặc email").fill(phone)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    # Forgetting the consent keeps everything typed but the passwords, and says why.
    seen = len(site.log())
    click(binh, "button", "^Đăng ký$")
    binh.check("dang-ky-thieu-dong-y")
    assert "Cần đồng ý cho xử lý dữ liệu cá nhân" in page.inner_text("main")
    assert page.get_by_label("Họ và tên").input_value() == "Trần Thị Bình"
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("checkbox").check()
    click(binh, "button", "^Đăng ký$")
    page.wait_for_url(re.compile(r"/dang-ky/xac-nhan/"))
    binh.check("nhap-ma")
    page.get_by_label("Mã xác nhận (6 chữ số)").fill(sms_code(site, phone, seen))
    click(binh, "button", "Xác nhận và tạo tài khoản")
    page.wait_for_url(re.compile(r"/ho-so-cua-toi/"))
    binh.check("ho-so-cua-toi")
    assert "Đã tạo tài khoản" in page.inner_text("main")

    click(binh, "link", "Trần Thị Bình")
    binh.check("tai-khoan")
    assert phone in page.inner_text("main")
    click(binh, "link", "Sửa họ tên, địa chỉ")
    binh.check("sua-thong-tin")
    page.get_by_label("Địa chỉ liên hệ").fill("45 Nguyễn Tất Thành, phường Buôn Ma Thuột")
    click(binh, "button", "Lưu thông tin")
    binh.check("da-luu-thong-tin")
    assert "45 Nguyễn Tất Thành" in page.inner_text("main")
    page.get_by_label("Zalo").check()
    page.get_by_label("Email").uncheck()
    click(binh, "button", "Lưu cách nhận thông báo")
    binh.check("da-luu-thong-bao")
    assert page.get_by_label("Zalo").is_checked()
    assert not page.get_by_label("Email").is_checked()

    binh.sign_out()
    binh.check("da-dang-xuat")
    click(binh, "link", "^Đăng nhập$")
    binh.check("dang-nhap")
    click(binh, "link", "Quên mật khẩu")
    binh.check("quen-mat-khau")
    page.get_by_label("Số điện thoại di động hoặc email").fill(phone)
    seen = len(site.log())
    click(binh, "button", "Gửi mã xác nhận")
    page.wait_for_url(re.compile(r"/quen-mat-khau/dat-lai/"))
    binh.check("dat-lai")
    page.get_by_label("Mã xác nhận (6 chữ số)").fill(sms_code(site, phone, seen))
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    click(binh, "button", "Đặt mật khẩu mới")
    page.wait_for_url(re.compile(r"/dang-nhap/"))
    binh.check("da-dat-lai")
    page.fill("#id_username", phone)
    page.fill("#id_password", NEW_PASSWORD)
    click(binh, "button", "^Đăng nhập$")
    page.wait_for_url(re.compile(r"/ho-so-cua-toi/"))
    binh.check("dang-nhap-lai")


def test_a_citizen_signs_up_with_an_email_and_changes_the_password(journey):
    site = journey.site
    address = f"cuong.{journey.unique}@example.vn"
    cuong = journey.person("cuong")
    page = cuong.page

    cuong.goto("/dang-nhap/")
    cuong.check("dang-nhap")
    click(cuong, "link", "^Đăng ký$")
    cuong.check("dang-ky")
    page.get_by_label("Họ và tên").fill("Lê Văn Cường")
    page.get_by_label("Số điện thoại di động hoặc email").fill(address)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("checkbox").check()
    seen = len(site.mails(address))
    click(cuong, "button", "^Đăng ký$")
    page.wait_for_url(re.compile(r"/dang-ky/xac-nhan/"))
    cuong.check("nhap-ma")
    # A wrong code first: a message, and the code can still be typed.
    code = mail_code(site, address, seen)
    page.get_by_label("Mã xác nhận (6 chữ số)").fill(f"{(int(code) + 1) % 10**6:06d}")
    click(cuong, "button", "Xác nhận và tạo tài khoản")
    cuong.check("ma-sai")
    assert "Bạn còn 4 lần nhập" in page.inner_text("main")
    page.get_by_label("Mã xác nhận (6 chữ số)").fill(code)
    click(cuong, "button", "Xác nhận và tạo tài khoản")
    page.wait_for_url(re.compile(r"/ho-so-cua-toi/"))
    cuong.check("ho-so-cua-toi")

    click(cuong, "link", "Lê Văn Cường")
    cuong.check("tai-khoan")
    assert address in page.inner_text("main")
    click(cuong, "link", "Đổi mật khẩu")
    cuong.check("doi-mat-khau")
    page.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    click(cuong, "button", "Đổi mật khẩu")
    page.wait_for_url(re.compile(r"/tai-khoan/$"))
    cuong.check("da-doi-mat-khau")
    assert "Đã đổi mật khẩu" in page.inner_text("main")


def test_the_receiving_officer_signs_in_with_the_second_factor_and_lands_on_the_queue(journey):
    officer = journey.person("tiepnhan")
    officer.sign_in_official("tiepnhan")
    officer.page.wait_for_url(re.compile(r"/mot-cua/$"))
    officer.check("hang-doi-mot-cua")
