"""Signing in: citizens with a password; officials with a password and a TOTP code; lockout."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth import SESSION_KEY
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.people.models import Role
from tinhso.people.views import NO_DEVICE, PENDING_KEY, WRONG_CODE, WRONG_CREDENTIALS

from .support import PASSWORD, current_code, wrong_code

pytestmark = pytest.mark.django_db

SIGN_IN = "/dang-nhap/"
SECOND_FACTOR = "/dang-nhap/ma-xac-thuc/"
ACCOUNT = "/tai-khoan/"
ME = "/api/v1/people/me"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(SIGN_IN, {"username": username, "password": password, **extra})


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def official(make_official, agencies):
    return make_official("chuyenvien", roles=((Role.SPECIALIST, agencies["STP"]),))


# --- the page ------------------------------------------------------------------------------


def test_the_sign_in_page_is_a_labelled_form_that_needs_no_javascript(client, settings):
    settings.OIDC_ISSUER = ""
    page = client.get(SIGN_IN)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="id_username">Số điện thoại, email hoặc tên đăng nhập</label>' in html
    assert '<label for="id_password">Mật khẩu</label>' in html
    assert 'autocomplete="current-password"' in html
    assert '<form method="post" action="/dang-nhap/"' in html
    assert "<script" not in html
    assert "VNeID" not in html


def test_the_vneid_button_shows_only_when_oidc_is_configured(client, settings):
    settings.OIDC_ISSUER = "https://xacthuc.example.vn"
    html = client.get(SIGN_IN).content.decode()
    assert (
        '<a class="button" href="/dang-nhap/vneid/">'
        "Đăng nhập bằng tài khoản định danh điện tử (VNeID)</a>"
    ) in html


# --- citizens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    ["0912345678", "+84912345678", "84 912 345 678", "AN.NGUYEN@example.com", "066090001234"],
)
def test_a_citizen_signs_in_with_phone_email_or_personal_id(client, make_citizen, identifier):
    citizen = make_citizen()
    response = sign_in(client, identifier)
    assert (response.status_code, response.url) == (302, "/ho-so-cua-toi/")
    assert signed_in_user_id(client) == str(citizen.pk)
    assert client.get(ACCOUNT).status_code == 200
    assert client.get(ME).json()["username"] == "066090001234"


def test_a_citizen_goes_back_to_the_page_that_asked_for_sign_in(client, make_citizen):
    make_citizen()
    assert client.get(ACCOUNT).url == "/dang-nhap/?next=/tai-khoan/"
    response = sign_in(client, "0912345678", next="/tai-khoan/")
    assert response.url == "/tai-khoan/"


def test_a_next_address_on_another_site_is_ignored(client, make_citizen):
    make_citizen()
    response = sign_in(client, "0912345678", next="https://evil.example/")
    assert response.url == "/ho-so-cua-toi/"


def test_a_wrong_password_is_refused_with_a_message(client, make_citizen):
    make_citizen()
    response = sign_in(client, "0912345678", "sai-mat-khau-roi")
    assert response.status_code == 200
    assert str(WRONG_CREDENTIALS) in response.content.decode()
    assert signed_in_user_id(client) is None


def test_an_unknown_account_gets_the_same_message(client):
    response = sign_in(client, "0999999999", "sai-mat-khau-roi")
    assert response.status_code == 200
    assert str(WRONG_CREDENTIALS) in response.content.decode()


def test_a_deactivated_account_cannot_sign_in(client, make_citizen):
    citizen = make_citizen()
    citizen.is_active = False
    citizen.save()
    response = sign_in(client, "0912345678")
    assert str(WRONG_CREDENTIALS) in response.content.decode()
    assert signed_in_user_id(client) is None


def test_sign_out_takes_a_post_only(client, make_citizen):
    make_citizen()
    sign_in(client, "0912345678")
    assert client.get("/dang-xuat/").status_code == 405
    assert signed_in_user_id(client) is not None
    response = client.post("/dang-xuat/")
    assert (response.status_code, response.url) == (302, "/")
    assert signed_in_user_id(client) is None


# --- officials ---------------------------------------------------------------------------


def test_an_officials_password_alone_signs_nobody_in(client, official):
    response = sign_in(client, "chuyenvien")
    assert (response.status_code, response.url) == (302, SECOND_FACTOR)
    assert signed_in_user_id(client) is None
    assert client.session[PENDING_KEY]["user"] == official.pk
    assert client.get(ACCOUNT).url == "/dang-nhap/?next=/tai-khoan/"
    me = client.get(ME)
    assert (me.status_code, me.json()) == (401, {"detail": "Cần đăng nhập."})


def test_the_second_factor_page_asks_for_the_six_digit_code(client, official):
    sign_in(client, "chuyenvien")
    html = client.get(SECOND_FACTOR).content.decode()
    assert '<label for="id_code">Mã xác thực (6 chữ số)</label>' in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html


def test_a_wrong_code_is_refused(client, official):
    sign_in(client, "chuyenvien")
    response = client.post(SECOND_FACTOR, {"code": wrong_code(official)})
    assert response.status_code == 200
    assert str(WRONG_CODE) in response.content.decode()
    assert signed_in_user_id(client) is None
    assert client.get(ME).status_code == 401


def test_a_code_that_is_not_six_digits_is_refused_before_checking(client, official):
    sign_in(client, "chuyenvien")
    response = client.post(SECOND_FACTOR, {"code": "12ab"})
    assert "Mã xác thực gồm 6 chữ số, lấy từ ứng dụng xác thực." in response.content.decode()
    assert AccessAttempt.objects.count() == 0


def test_the_right_code_signs_the_official_in(client, official, agencies):
    sign_in(client, "chuyenvien", next="/tai-khoan/")
    response = client.post(SECOND_FACTOR, {"code": current_code(official)})
    assert (response.status_code, response.url) == (302, "/tai-khoan/")
    assert signed_in_user_id(client) == str(official.pk)
    device = TOTPDevice.objects.get(user=official)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING_KEY not in client.session
    assert client.get(ACCOUNT).status_code == 200
    assert client.get(ME).json() == {
        "username": "chuyenvien",
        "kind": "official",
        "display_name": "Cán bộ chuyenvien",
        "roles": [
            {
                "role": "specialist",
                "role_label": "chuyên viên xử lý",
                "agency_code": "000.00.03.H66",
                "agency_name": "Sở Tư pháp tỉnh Đắk Lắk",
                "title": "",
            }
        ],
    }


def test_a_code_cannot_be_used_twice(client, official):
    code = current_code(official)
    sign_in(client, "chuyenvien")
    client.post(SECOND_FACTOR, {"code": code})
    client.post("/dang-xuat/")
    sign_in(client, "chuyenvien")
    response = client.post(SECOND_FACTOR, {"code": code})
    assert str(WRONG_CODE) in response.content.decode()
    assert signed_in_user_id(client) is None


def test_the_second_factor_page_without_a_password_step_sends_back(client):
    response = client.get(SECOND_FACTOR)
    assert (response.status_code, response.url) == (302, SIGN_IN)


def test_an_official_without_a_device_is_told_to_contact_the_administrator(client, make_official):
    make_official("moivao", totp=False)
    response = sign_in(client, "moivao")
    assert response.status_code == 200
    assert str(NO_DEVICE) in response.content.decode()
    assert "liên hệ quản trị hệ thống" in str(NO_DEVICE)
    assert signed_in_user_id(client) is None
    assert PENDING_KEY not in client.session


def test_a_session_without_the_second_factor_is_ended(client, official):
    """However it came about (here: force_login), it opens no page and no API."""
    client.force_login(official)
    response = client.get(ACCOUNT)
    assert (response.status_code, response.url) == (302, "/dang-nhap/?next=/tai-khoan/")
    assert signed_in_user_id(client) is None
    client.force_login(official)
    me = client.get(ME)
    assert (me.status_code, me.json()) == (
        401,
        {"detail": "Cần đăng nhập lại và nhập mã xác thực."},
    )
    assert signed_in_user_id(client) is None


def test_the_admin_site_needs_the_second_factor(client, make_official):
    admin = make_official("quantri", is_staff=True)
    response = client.get("/quan-tri/")
    assert response.status_code == 302
    login_page = client.get(response.url)
    assert login_page.url == "/dang-nhap/?next=/quan-tri/"
    sign_in(client, "quantri", next="/quan-tri/")
    response = client.post(SECOND_FACTOR, {"code": current_code(admin)})
    assert response.url == "/quan-tri/"
    assert client.get("/quan-tri/").status_code == 200


def test_a_signed_in_citizen_is_not_let_into_the_admin(client, make_citizen):
    make_citizen()
    sign_in(client, "0912345678")
    response = client.get("/quan-tri/", follow=True)
    assert response.status_code == 403


# --- lockout -----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, make_citizen):
    citizen = make_citizen()
    responses = [sign_in(client, "0912345678", f"sai-lan-thu-{n}") for n in range(1, 5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    fifth = sign_in(client, "0912345678", "sai-lan-thu-5")
    assert fifth.status_code == 429
    sixth = sign_in(client, "0912345678", PASSWORD)
    html = sixth.content.decode()
    assert sixth.status_code == 429
    assert "Đăng nhập sai 5 lần liên tiếp nên tài khoản bị tạm khóa trong 15 phút." in html
    # the way out for someone who forgot the password, not only "wait 15 minutes"
    assert 'href="/quen-mat-khau/"' in html
    assert sixth["Retry-After"] == "900"
    assert signed_in_user_id(client) is None

    reset(username=citizen.username)
    response = sign_in(client, "0912345678")
    assert (response.status_code, signed_in_user_id(client)) == (302, str(citizen.pk))


def test_failures_count_per_account_whatever_the_spelling_of_the_identifier(client, make_citizen):
    make_citizen()
    for identifier in ["0912345678", "+84912345678", "84912345678", "an.nguyen@example.com"]:
        sign_in(client, identifier, "sai-mat-khau-roi")
    response = sign_in(client, "066090001234", "sai-mat-khau-roi")
    assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        ("066090001234", 5)
    ]


def test_wrong_codes_lock_the_official_too(client, official):
    sign_in(client, "chuyenvien")
    for _ in range(4):
        response = client.post(SECOND_FACTOR, {"code": wrong_code(official)})
        assert response.status_code == 200
    response = client.post(SECOND_FACTOR, {"code": wrong_code(official)})
    assert response.status_code == 429
    assert "tạm khóa trong 15 phút" in response.content.decode()
    assert PENDING_KEY not in client.session

    # The right password and then the right code are refused while the lock lasts.
    assert sign_in(client, "chuyenvien").status_code == 429
    assert signed_in_user_id(client) is None


def test_a_lock_during_the_code_step_refuses_the_right_code(client, official):
    sign_in(client, "chuyenvien")
    other = client.__class__()
    for n in range(5):
        sign_in(other, "chuyenvien", f"sai-lan-thu-{n}")
    response = client.post(SECOND_FACTOR, {"code": current_code(official)})
    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_throttled_codes_ask_to_wait_and_do_not_count_as_failures(client, official, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    sign_in(client, "chuyenvien")
    client.post(SECOND_FACTOR, {"code": wrong_code(official)})
    response = client.post(SECOND_FACTOR, {"code": current_code(official)})
    assert "Vui lòng đợi 60 giây rồi nhập lại mã." in response.content.decode()
    assert signed_in_user_id(client) is None
    assert AccessAttempt.objects.get().failures_since_start == 1


@pytest.mark.parametrize(
    ("role", "sees_ioc"), [(Role.LEADER, True), (Role.IOC_VIEWER, True), (Role.SPECIALIST, False)]
)
def test_the_menu_names_the_operations_centre_only_for_its_viewers(
    client, make_official, agencies, role, sees_ioc
):
    """The flag is taken at sign-in, so the menu on every later page costs no query."""
    official = make_official("lanhdao", roles=((role, agencies["STP"]),))
    sign_in(client, "lanhdao")
    client.post(SECOND_FACTOR, {"code": current_code(official)})
    page = client.get(ACCOUNT).content.decode()
    assert ('href="/dieu-hanh/"' in page) is sees_ioc
    assert "Trung tâm điều hành" in page if sees_ioc else "Trung tâm điều hành" not in page
    assert 'href="/cong-khai/thong-ke/"' in page  # the public statistics, from every page


def test_the_citizen_menu_leads_to_their_data_store(client, make_citizen):
    citizen = make_citizen()
    client.force_login(citizen)
    page = client.get(ACCOUNT).content.decode()
    assert 'href="/kho-du-lieu/">Kho dữ liệu của tôi</a>' in page
