"""The admin pages save through the actions, so every change there is audited too."""

from __future__ import annotations

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core.models import AuditRecord
from tinhso.people.models import Organisation, Role, RoleAssignment, User

from .support import PASSWORD, current_code

pytestmark = pytest.mark.django_db


def test_an_official_added_in_the_admin_is_created_by_the_action(admin_client):
    response = admin_client.post(
        "/quan-tri/people/user/add/",
        {
            "username": "chuyenvien",
            "full_name": "Lê  Văn Cường",
            "email": "Cuong@Example.com",
            "phone": "+84 987 654 321",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="chuyenvien")
    assert (user.kind, user.full_name, user.email, user.phone) == (
        "official",
        "Lê Văn Cường",
        "cuong@example.com",
        "0987654321",
    )
    record = AuditRecord.objects.get(action="people.official_created", object_id=str(user.pk))
    assert record.actor == admin_client.admin


def test_a_weak_password_is_refused_in_the_admin_and_nothing_is_created(admin_client):
    before = (User.objects.count(), AuditRecord.objects.count())
    response = admin_client.post(
        "/quan-tri/people/user/add/",
        {"username": "yeu", "full_name": "Yếu", "password1": "12345", "password2": "12345"},
    )
    assert response.status_code == 200
    assert "Mật khẩu quá ngắn: cần ít nhất 10 ký tự." in response.content.decode()
    assert (User.objects.count(), AuditRecord.objects.count()) == before


def test_editing_an_account_in_the_admin_is_audited_field_by_field(admin_client, make_official):
    official = make_official("chuyenvien")
    response = admin_client.post(
        f"/quan-tri/people/user/{official.pk}/change/",
        {
            "full_name": "Cán bộ chuyenvien",
            "email": "chuyenvien@example.com",
            "phone": "0987654321",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    record = AuditRecord.objects.filter(action="people.account_updated").get()
    assert (record.actor, record.changes) == (
        admin_client.admin,
        {"phone": [None, "0987654321"]},
    )


def test_issuing_a_totp_device_shows_the_secret_once(admin_client, make_official):
    official = make_official("chuyenvien", totp=False)
    response = admin_client.post(
        "/quan-tri/people/user/",
        {"action": "issue_totp_devices", "_selected_action": [official.pk]},
    )
    device = TOTPDevice.objects.get(user=official)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, max-age=0, no-cache, must-revalidate, private"
    assert "<svg" in html
    assert base64.b32encode(device.bin_key).decode() in html
    assert AuditRecord.objects.filter(
        action="people.totp_enrolled", object_id=str(official.pk)
    ).exists()


def test_a_role_granted_in_the_admin_goes_through_grant_role(admin_client, make_official, agencies):
    official = make_official("chuyenvien")
    response = admin_client.post(
        "/quan-tri/people/roleassignment/add/",
        {
            "user": official.pk,
            "agency": agencies["STP"].pk,
            "role": Role.SPECIALIST,
            "title": "Chuyên viên",
        },
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=official)
    record = AuditRecord.objects.get(action="people.role_granted", object_id=str(assignment.pk))
    assert record.actor == admin_client.admin
    admin_client.post(f"/quan-tri/people/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert not RoleAssignment.objects.filter(user=official).exists()
    assert AuditRecord.objects.filter(action="people.role_revoked").count() == 1


def test_opening_a_citizen_in_the_admin_is_an_audited_read(admin_client, make_citizen):
    citizen = make_citizen().citizen
    response = admin_client.get(f"/quan-tri/people/citizen/{citizen.pk}/change/")
    assert response.status_code == 200
    record = AuditRecord.objects.filter(action="personal_data.read").get()
    assert (record.actor, record.object_id) == (admin_client.admin, str(citizen.pk))


def test_an_organisation_added_in_the_admin_has_its_tax_code_checked(admin_client):
    response = admin_client.post(
        "/quan-tri/people/organisation/add/", {"tax_code": "0100109107", "name": "Sai mã"}
    )
    assert "Mã số thuế 0100109107 không đúng số kiểm tra (chữ số thứ 10)." in (
        response.content.decode()
    )
    assert Organisation.objects.count() == 0
    response = admin_client.post(
        "/quan-tri/people/organisation/add/", {"tax_code": "0100109106-001", "name": "Chi nhánh"}
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (organisation.tax_code, organisation.kind) == ("0100109106-001", "branch")
    assert AuditRecord.objects.filter(action="people.organisation_registered").count() == 1


@pytest.fixture
def staff_client(client, make_official, agencies):
    """An official with people.view_user and people.change_user, but not a superuser."""
    from django.contrib.auth.models import Permission

    from tinhso.people import actions

    staff = make_official("nhansu", is_staff=True)
    actions.update_account(staff, actor=None, is_superuser=False)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="people", codename__in=["view_user", "change_user"]
        )
    )
    client.post("/dang-nhap/", {"username": "nhansu", "password": PASSWORD})
    client.post("/dang-nhap/ma-xac-thuc/", {"code": current_code(staff)})
    client.staff = staff
    return client


def _state():
    return (
        sorted(User.objects.values_list("username", "is_staff", "is_superuser", "email")),
        sorted(TOTPDevice.objects.values_list("user__username", "key")),
        AuditRecord.objects.count(),
    )


def test_an_official_with_change_user_cannot_make_themselves_superuser(staff_client):
    staff = staff_client.staff
    page = staff_client.get(f"/quan-tri/people/user/{staff.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    before = _state()
    response = staff_client.post(
        f"/quan-tri/people/user/{staff.pk}/change/",
        {
            "full_name": staff.full_name,
            "email": staff.email,
            "phone": "",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": ["1"],
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.is_superuser, staff.is_staff) == (False, True)
    assert _state() == before


def test_an_official_with_change_user_cannot_change_a_superuser(staff_client, make_official):
    boss = make_official("lanhdao", is_staff=True)
    assert boss.is_superuser
    before = _state()
    response = staff_client.post(
        f"/quan-tri/people/user/{boss.pk}/change/",
        {"full_name": "Đổi", "email": "ke-gian@example.com", "is_active": "on"},
    )
    assert response.status_code == 403
    assert _state() == before


def test_an_official_with_change_user_cannot_reissue_a_superusers_or_their_own_device(
    staff_client, make_official
):
    boss = make_official("lanhdao", is_staff=True)
    before = _state()
    response = staff_client.post(
        "/quan-tri/people/user/",
        {"action": "issue_totp_devices", "_selected_action": [boss.pk, staff_client.staff.pk]},
        follow=True,
    )
    refusal = (
        ": chỉ quản trị viên cấp cao được cấp thiết bị xác thực cho tài khoản quản trị "
        "cấp cao hoặc cho chính mình."
    )
    assert [str(m) for m in response.context["messages"]] == [
        "lanhdao" + refusal,
        "nhansu" + refusal,
    ]
    assert "Thiết bị xác thực đã cấp" not in response.content.decode()
    assert _state() == before


def test_an_official_with_change_user_issues_a_colleagues_device(staff_client, make_official):
    colleague = make_official("chuyenvien", totp=False)
    response = staff_client.post(
        "/quan-tri/people/user/",
        {"action": "issue_totp_devices", "_selected_action": [colleague.pk]},
    )
    assert response.status_code == 200
    assert "Thiết bị xác thực đã cấp" in response.content.decode()
    assert TOTPDevice.objects.filter(user=colleague).count() == 1


def test_the_account_list_shows_no_phone_or_e_mail(admin_client, make_official):
    make_official("chuyenvien")
    User.objects.filter(username="chuyenvien").update(phone="0987654321")
    html = admin_client.get("/quan-tri/people/user/").content.decode()
    assert "chuyenvien" in html
    assert "0987654321" not in html and "chuyenvien@example.com" not in html


def test_only_a_superuser_adds_a_staff_account(staff_client):
    from django.contrib.auth.models import Permission

    staff_client.staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="people", codename="add_user")
    )
    response = staff_client.post(
        "/quan-tri/people/user/add/",
        {
            "username": "moi",
            "full_name": "Mới",
            "is_staff": "on",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="moi").is_staff is False
