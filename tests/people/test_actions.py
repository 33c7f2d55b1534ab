"""Account, citizen, organisation and role actions: validated, audited, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core import audit
from tinhso.core.models import AuditRecord
from tinhso.people import actions, errors
from tinhso.people.actions import PeopleError
from tinhso.people.models import Citizen, Organisation, Role, RoleAssignment, User

from .support import PASSWORD

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Citizen.objects.count(),
        Organisation.objects.count(),
        AuditRecord.objects.count(),
    )


def refusal(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(PeopleError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# --- citizens --------------------------------------------------------------------------------


def test_a_citizen_registers_with_the_personal_id_as_user_name():
    user = actions.register_citizen(
        full_name="  Nguyễn   Văn An ",
        personal_id="066 090 001 234",
        password=PASSWORD,
        phone="+84 912 345 678",
        email="An.Nguyen@Example.com",
        date_of_birth=date(1990, 5, 12),
    )
    user.refresh_from_db()
    assert (user.username, user.kind, user.full_name, user.phone, user.email) == (
        "066090001234",
        "citizen",
        "Nguyễn Văn An",
        "0912345678",
        "an.nguyen@example.com",
    )
    assert user.check_password(PASSWORD)
    assert not user.requires_second_factor
    citizen = user.citizen
    assert (citizen.personal_id, citizen.full_name, citizen.date_of_birth, citizen.sex) == (
        "066090001234",
        "Nguyễn Văn An",
        date(1990, 5, 12),
        "male",
    )
    record = AuditRecord.objects.get()
    assert (record.action, record.actor, record.object_type, record.object_id) == (
        "people.citizen_registered",
        user,
        "people.user",
        str(user.pk),
    )
    assert record.changes["phone"] == [None, "0912345678"]
    assert record.changes["citizen"]["personal_id"] == [None, "066090001234"]
    assert "password" not in record.changes
    assert PASSWORD not in str(record.changes)
    assert audit.verify().ok


def test_a_name_typed_in_decomposed_unicode_is_stored_composed():
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Hoa"
    user = actions.register_citizen(
        full_name=decomposed, personal_id="079301012345", password=PASSWORD
    )
    assert user.full_name == "Nguyễn Thị Hoa"
    assert user.citizen.sex == "female"


def test_an_invalid_personal_id_is_refused_per_field_and_nothing_is_saved():
    before = counts()
    assert refusal(
        actions.register_citizen,
        full_name="Nguyễn Văn An",
        personal_id="003090001234",
        password=PASSWORD,
        phone="0912345678",
    ) == {
        "personal_id": [
            "Số định danh cá nhân không hợp lệ: 003 không phải mã tỉnh, thành phố nơi đăng ký "
            "khai sinh."
        ]
    }
    assert counts() == before


def test_every_invalid_field_is_named_at_once():
    before = counts()
    assert refusal(
        actions.register_citizen,
        full_name=" ",
        personal_id="066090001234",
        password="123",
        phone="12345",
        email="khong-phai-email",
        date_of_birth=date(1991, 1, 1),
        sex="female",
    ) == {
        "full_name": ["Chưa nhập họ và tên."],
        "personal_id": [
            "Năm sinh trong số định danh cá nhân (1990) không khớp với ngày sinh 01/01/1991."
        ],
        "phone": [
            "Số điện thoại không hợp lệ: nhập số di động 10 chữ số (ví dụ 0912345678) "
            "hoặc số cố định có mã vùng."
        ],
        "email": ["Địa chỉ email không hợp lệ."],
        "password": [
            "Mật khẩu quá ngắn: cần ít nhất 10 ký tự.",
            "Mật khẩu này quá phổ biến, dễ bị đoán.",
            "Mật khẩu không được chỉ gồm chữ số.",
        ],
    }
    assert counts() == before


def test_phone_email_and_personal_id_belong_to_one_account_only(make_citizen):
    make_citizen()
    before = counts()
    assert refusal(
        actions.register_citizen,
        full_name="Trần Văn Bình",
        personal_id="066090001234",
        password=PASSWORD,
        phone="84912345678",
        email="AN.NGUYEN@example.com",
    ) == {
        "personal_id": [
            "Số định danh cá nhân này đã có tài khoản. Hãy đăng nhập hoặc lấy lại mật khẩu."
        ],
        "phone": ["Số điện thoại này đã được dùng cho tài khoản khác."],
        "email": ["Email này đã được dùng cho tài khoản khác."],
    }
    assert counts() == before


def test_a_citizen_on_record_without_an_account_is_linked_to_the_new_account():
    on_record = Citizen.objects.create(personal_id="066090001234", full_name="Nguyễn Văn An")
    user = actions.register_citizen(
        full_name="Nguyễn Văn An", personal_id="066090001234", password=PASSWORD
    )
    on_record.refresh_from_db()
    assert on_record.user == user
    assert Citizen.objects.count() == 1
    assert AuditRecord.objects.get().changes["citizen"] == {"user_id": [None, user.pk]}


# --- officials and roles -------------------------------------------------------------------


def test_an_official_is_created_with_an_audit_record_and_no_password_in_it(make_official):
    admin = make_official("quantri", is_staff=True)
    user = actions.create_official(
        username="chuyenvien",
        full_name="Lê Văn Cường",
        email="cuong@example.com",
        password=PASSWORD,
        actor=admin,
    )
    assert (user.kind, user.requires_second_factor, user.is_staff) == ("official", True, False)
    record = AuditRecord.objects.filter(action="people.official_created").last()
    assert (record.actor, record.object_id) == (admin, str(user.pk))
    assert record.changes == {
        "username": [None, "chuyenvien"],
        "kind": [None, "official"],
        "full_name": [None, "Lê Văn Cường"],
        "email": [None, "cuong@example.com"],
        "is_active": [None, True],
        "is_staff": [None, False],
        "is_superuser": [None, False],
    }


def test_roles_are_granted_once_and_revoked_with_audit(make_official, agencies):
    admin = make_official("quantri", is_staff=True)
    official = make_official("chuyenvien")
    stp = agencies["STP"]
    first = actions.grant_role(official, stp, Role.SPECIALIST, actor=admin, title="Chuyên viên")
    again = actions.grant_role(official, stp, Role.SPECIALIST, actor=admin, title="Chuyên viên")
    assert first.pk == again.pk
    actions.grant_role(official, stp, Role.SPECIALIST, actor=admin, title="Chuyên viên chính")
    assert actions.revoke_role(official, stp, Role.SPECIALIST, actor=admin) is True
    assert actions.revoke_role(official, stp, Role.SPECIALIST, actor=admin) is False
    assert RoleAssignment.objects.count() == 0
    trail = AuditRecord.objects.filter(action__startswith="people.role").order_by("id")
    assert [(r.action, r.actor, r.changes.get("title")) for r in trail] == [
        ("people.role_granted", admin, [None, "Chuyên viên"]),
        ("people.role_title_changed", admin, ["Chuyên viên", "Chuyên viên chính"]),
        ("people.role_revoked", admin, ["Chuyên viên chính", None]),
    ]


def test_a_citizen_cannot_hold_a_role(make_citizen, agencies):
    citizen = make_citizen()
    before = (RoleAssignment.objects.count(), AuditRecord.objects.count())
    with pytest.raises(PeopleError) as caught:
        actions.grant_role(citizen, agencies["STP"], Role.SPECIALIST, actor=None)
    assert caught.value.message_dict == {
        "user": ["Chỉ tài khoản cán bộ, công chức mới được giao vai trò."]
    }
    # a declared code the API's one handler answers (422, one entry per field)
    assert caught.value.code is errors.NOT_AN_OFFICIAL
    assert caught.value.as_json()["detail"] == [
        {
            "loc": ["body", "user"],
            "field": "user",
            "msg": "Chỉ tài khoản cán bộ, công chức mới được giao vai trò.",
            "type": "people.not_an_official",
        }
    ]
    assert (RoleAssignment.objects.count(), AuditRecord.objects.count()) == before


def test_enrolling_totp_replaces_the_previous_device(make_official):
    official = make_official("chuyenvien")
    old = TOTPDevice.objects.get(user=official)
    new = actions.enroll_totp(official, actor=None)
    assert list(TOTPDevice.objects.filter(user=official)) == [new]
    assert new.confirmed
    record = AuditRecord.objects.filter(action="people.totp_enrolled").last()
    assert record.changes == {"totp_device": [[old.pk], new.pk]}
    assert new.key not in str(record.changes)


# --- organisations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tax_code", "stored", "kind"),
    [
        ("0100109106", "0100109106", "enterprise"),
        ("0100109106001", "0100109106-001", "branch"),
        ("066090001234", "066090001234", "household_business"),
    ],
)
def test_an_organisation_is_registered_by_its_tax_code(make_citizen, tax_code, stored, kind):
    owner = make_citizen()
    organisation = actions.register_organisation(
        tax_code=tax_code, name=" Công ty  Mẫu ", actor=owner, members=[owner]
    )
    organisation.refresh_from_db()
    assert (organisation.tax_code, organisation.name, organisation.kind) == (
        stored,
        "Công ty Mẫu",
        kind,
    )
    assert list(organisation.members.all()) == [owner]
    record = AuditRecord.objects.filter(action="people.organisation_registered").get()
    assert record.changes["tax_code"] == [None, stored]
    assert record.changes["members"] == [None, [owner.pk]]


def test_a_tax_code_with_a_wrong_check_digit_is_refused_and_nothing_is_saved():
    before = counts()
    assert refusal(
        actions.register_organisation, tax_code="0100109107", name="Công ty Mẫu", actor=None
    ) == {"tax_code": ["Mã số thuế 0100109107 không đúng số kiểm tra (chữ số thứ 10)."]}
    assert counts() == before


def test_a_tax_code_is_registered_once():
    actions.register_organisation(tax_code="0100109106", name="Viettel", actor=None)
    before = counts()
    assert refusal(
        actions.register_organisation, tax_code="0100109106", name="Khác", actor=None
    ) == {"tax_code": ["Mã số thuế này đã được đăng ký."]}
    assert counts() == before
