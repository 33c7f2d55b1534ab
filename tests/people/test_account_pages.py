"""The sign-up, password reset and account pages: parse, call the action, show the result."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY

from tinhso.core.models import OutboxMessage
from tinhso.people.models import Citizen, OneTimeCode, Role, User

from .support import PASSWORD, current_code

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "mat-khau-moi-dai-2026"


def code_sent_to(address: str) -> str:
    bodies = [
        m.payload["body"]
        for m in OutboxMessage.objects.order_by("pk")
        if m.payload["to"] == address
    ]
    found = re.search(r"\b(\d{6})\b", bodies[-1])
    assert found, bodies
    return found.group(1)


def sign_up_form(**overrides) -> dict[str, str]:
    return {
        "full_name": "Trần Thị Bình",
        "contact": "0987654321",
        "password": PASSWORD,
        "password_again": PASSWORD,
        "consent": "on",
        **overrides,
    }


def test_the_sign_up_page_is_a_labelled_form_with_the_consent_notice(client):
    html = client.get("/dang-ky/").content.decode()
    assert '<label for="id_full_name">Họ và tên</label>' in html
    assert '<label for="id_contact">Số điện thoại di động hoặc email</label>' in html
    assert '<input type="checkbox" name="consent" id="id_consent"' in html
    assert 'href="/bao-ve-du-lieu-ca-nhan/"' in html
    assert client.get("/bao-ve-du-lieu-ca-nhan/").status_code == 200
    assert 'href="/dang-ky/"' in client.get("/dang-nhap/").content.decode()
    assert 'href="/quen-mat-khau/"' in client.get("/dang-nhap/").content.decode()


def test_a_citizen_signs_up_with_a_phone_and_lands_on_their_dossiers(client):
    response = client.post("/dang-ky/", sign_up_form())
    assert (response.status_code, response.url) == (302, "/dang-ky/xac-nhan/")
    page = client.get("/dang-ky/xac-nhan/").content.decode()
    assert "098****321" in page and 'autocomplete="one-time-code"' in page
    assert User.objects.count() == 0
    response = client.post("/dang-ky/xac-nhan/", {"code": code_sent_to("0987654321")})
    assert (response.status_code, response.url) == (302, "/ho-so-cua-toi/")
    user = User.objects.get()
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.post("/dang-ky/xac-nhan/", {"code": "123456"}).url == "/dang-ky/"


def test_bad_sign_up_input_is_shown_on_the_fields_and_kept(client):
    response = client.post(
        "/dang-ky/", sign_up_form(contact="12", password_again="khac", consent="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Số điện thoại hoặc email không hợp lệ" in html
    assert "Hai mật khẩu đã nhập không giống nhau." in html
    assert "Cần đồng ý cho xử lý dữ liệu cá nhân" in html
    assert 'value="Trần Thị Bình"' in html and PASSWORD not in html
    assert OneTimeCode.objects.count() == 0


def test_a_wrong_code_is_a_message_on_the_field(client):
    client.post("/dang-ky/", sign_up_form())
    code = code_sent_to("0987654321")
    other = f"{(int(code) + 1) % 10**6:06d}"
    html = client.post("/dang-ky/xac-nhan/", {"code": other}).content.decode()
    assert "Mã không đúng. Bạn còn 4 lần nhập." in html
    html = client.post("/dang-ky/xac-nhan/", {"code": "12a"}).content.decode()
    assert "Mã xác nhận gồm 6 chữ số." in html


def test_resending_too_soon_says_how_long_to_wait(client):
    client.post("/dang-ky/", sign_up_form())
    response = client.post("/dang-ky/gui-lai-ma/", follow=True)
    assert re.search(r"Vui lòng đợi \d+ giây rồi gửi lại mã.", response.content.decode())


def test_the_same_answer_whether_or_not_the_phone_has_an_account(client, make_citizen):
    make_citizen(phone="0987654321")
    taken = client.post("/dang-ky/", sign_up_form())
    assert (taken.status_code, taken.url) == (302, "/dang-ky/xac-nhan/")
    assert "098****321" in client.get("/dang-ky/xac-nhan/").content.decode()
    unknown = client.post("/quen-mat-khau/", {"contact": "0977777777"})
    known = client.post("/quen-mat-khau/", {"contact": "0987654321"})
    assert unknown.url == known.url == "/quen-mat-khau/dat-lai/"


def test_a_forgotten_password_is_reset_and_the_citizen_signs_in_again(client, make_citizen):
    make_citizen()
    client.post("/quen-mat-khau/", {"contact": "0912 345 678"})
    response = client.post(
        "/quen-mat-khau/dat-lai/",
        {
            "code": code_sent_to("0912345678"),
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert (response.status_code, response.url) == (302, "/dang-nhap/")
    signed_in = client.post("/dang-nhap/", {"username": "0912345678", "password": NEW_PASSWORD})
    assert signed_in.url == "/ho-so-cua-toi/"


def test_an_official_lands_on_their_work_after_the_second_factor(client, make_official, agencies):
    officer = make_official("tiepnhan", roles=((Role.RECEIVING_OFFICER, agencies["TTPVHCC"]),))
    client.post("/dang-nhap/", {"username": "tiepnhan", "password": PASSWORD})
    response = client.post("/dang-nhap/ma-xac-thuc/", {"code": current_code(officer)})
    assert response.url == "/mot-cua/"


@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.RECEIVING_OFFICER, "dossiers:office-home"),
        (Role.CLERK, "documents:my-work"),
        (Role.LEADER, "documents:my-work"),
        (Role.SPECIALIST, "documents:my-work"),
        (Role.ADMINISTRATOR, "admin:index"),
        (Role.IOC_VIEWER, "feedback:office-queue"),
    ],
)
def test_each_role_has_its_work_page(make_official, agencies, role, page):
    from tinhso.people.queries import work_page

    assert work_page(make_official("canbo", roles=((role, agencies["STP"]),))) == page


def test_the_account_page_shows_the_data_masked_and_saves_preferences(client, make_citizen):
    user = make_citizen()
    client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD})
    html = client.get("/tai-khoan/").content.decode()
    assert "********1234" in html and "066090001234" not in html
    assert "0912345678" in html and "an.nguyen@example.com" in html
    response = client.post("/tai-khoan/", {"notify_by_sms": "on"})
    assert response.url == "/tai-khoan/"
    user.refresh_from_db()
    assert (user.notify_by_email, user.notify_by_sms, user.notify_by_zalo) == (False, True, False)


def test_details_password_and_contact_are_changed_from_the_account_page(client, make_citizen):
    user = make_citizen()
    client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD})
    response = client.post(
        "/tai-khoan/thong-tin/", {"full_name": "Nguyễn Văn An", "address": "12 Lê Duẩn"}
    )
    assert response.url == "/tai-khoan/"
    response = client.post(
        "/tai-khoan/mat-khau/",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.url == "/tai-khoan/"
    assert client.session[SESSION_KEY] == str(user.pk)  # still signed in
    client.post("/tai-khoan/lien-he/", {"contact": "moi@example.vn"})
    response = client.post("/tai-khoan/lien-he/xac-nhan/", {"code": code_sent_to("moi@example.vn")})
    assert response.url == "/tai-khoan/"
    user.refresh_from_db()
    assert (user.address, user.email) == ("12 Lê Duẩn", "moi@example.vn")
    assert user.check_password(NEW_PASSWORD)
    assert Citizen.objects.get(user=user).email == "moi@example.vn"


def test_account_pages_need_a_signed_in_person(client):
    for path in (
        "/tai-khoan/",
        "/tai-khoan/thong-tin/",
        "/tai-khoan/mat-khau/",
        "/tai-khoan/lien-he/",
    ):
        assert client.get(path).url.startswith("/dang-nhap/?next=")


def test_a_signed_in_person_visiting_sign_up_goes_to_their_work(client, make_citizen):
    make_citizen()
    client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD})
    assert client.get("/dang-ky/").url == "/ho-so-cua-toi/"
