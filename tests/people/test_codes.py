"""Sign-up, password reset and contact change with one-time codes: the actions.

The code a person receives is read from the queued notification, as they read their phone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.people import actions, codes
from tinhso.people.actions import PeopleError
from tinhso.people.models import CodeSending, OneTimeCode, User

from .support import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "mat-khau-moi-dai-2026"


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def sent_to(address: str) -> list[dict]:
    return [
        m.payload
        for m in OutboxMessage.objects.filter(topic="notify").order_by("pk")
        if m.payload["to"] == address
    ]


def code_sent_to(address: str) -> str:
    body = sent_to(address)[-1]["body"]
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def sign_up(contact: str = "0987654321", **overrides) -> OneTimeCode:
    fields = {
        "full_name": "  Trần   Thị Bình ",
        "contact": contact,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "consent": True,
        "client_address": "203.0.113.7",
        **overrides,
    }
    return actions.request_sign_up(**fields)


def refusal(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(PeopleError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


# --- the rules ------------------------------------------------------------------------------


def test_a_code_is_six_digits_and_stored_as_a_keyed_hash():
    code = codes.new_code()
    assert re.fullmatch(r"\d{6}", code)
    stored = codes.code_hash(code, key="k", salt="s")
    assert code not in stored and len(stored) == 64
    assert codes.matches(code, stored, key="k", salt="s")
    assert not codes.matches(code, stored, key="other", salt="s")
    assert codes.clean_code(" 123 456 ") == "123456"
    assert codes.clean_code("12345") is None


def test_a_code_is_refused_when_used_exhausted_or_expired():
    now = timezone.now()
    fresh = codes.CodeState(sent_at=now, expires_at=now + codes.LIFETIME, attempts=0, used=False)
    assert codes.why_refused(fresh, now) == ""
    assert codes.why_refused(fresh, now + codes.LIFETIME) == "expired"
    tried = codes.CodeState(now, now + codes.LIFETIME, attempts=codes.MAX_ATTEMPTS, used=False)
    assert codes.why_refused(tried, now) == "exhausted"
    used = codes.CodeState(now, now + codes.LIFETIME, attempts=0, used=True)
    assert codes.why_refused(used, now) == "used"
    assert codes.seconds_until_resend(now, now + timedelta(seconds=20.5)) == 40
    assert codes.seconds_until_resend(now, now + timedelta(seconds=60)) == 0


# --- sign-up --------------------------------------------------------------------------------


def test_signing_up_with_a_phone_sends_a_code_by_sms_and_creates_nothing_else():
    row = sign_up("+84 987 654 321")
    assert (row.purpose, row.channel, row.address, row.can_succeed) == (
        "sign_up",
        "sms",
        "0987654321",
        True,
    )
    assert User.objects.count() == 0
    [message] = sent_to("0987654321")
    assert message["channel"] == "sms"
    code = code_sent_to("0987654321")
    assert code not in row.code_hash and PASSWORD not in str(row.details)
    assert row.expires_at - row.sent_at == timedelta(minutes=10)
    assert AuditRecord.objects.filter(action="people.code_sent.sign_up").count() == 1


def test_the_right_code_creates_the_active_citizen_account():
    row = sign_up()
    user = actions.confirm_sign_up(row, code_sent_to("0987654321"))
    assert (user.kind, user.full_name, user.phone, user.email, user.is_active) == (
        "citizen",
        "Trần Thị Bình",
        "0987654321",
        "",
        True,
    )
    assert user.check_password(PASSWORD)
    row.refresh_from_db()
    assert row.used_at is not None and row.details == {} and row.user == user
    record = AuditRecord.objects.get(action="people.citizen_signed_up")
    assert PASSWORD not in str(record.changes)
    assert refusal(actions.confirm_sign_up, row, code_sent_to("0987654321")) == {
        "code": ["Mã này đã được dùng. Vui lòng bắt đầu lại."]
    }
    assert User.objects.count() == 1


def test_signing_up_with_an_email_sends_the_code_by_email():
    row = sign_up("Binh.Tran@Example.vn")
    assert (row.channel, row.address) == ("email", "binh.tran@example.vn")
    user = actions.confirm_sign_up(row, code_sent_to("binh.tran@example.vn"))
    assert (user.email, user.phone) == ("binh.tran@example.vn", None)


def test_a_sign_up_with_bad_input_says_what_is_wrong_and_sends_nothing():
    errors = refusal(
        sign_up,
        "0123",
        full_name=" ",
        password="12345",
        password_again="12345",
        consent=False,
    )
    assert set(errors) == {"full_name", "contact", "password", "consent"}
    assert errors["password"] == [
        "Mật khẩu quá ngắn: cần ít nhất 10 ký tự.",
        "Mật khẩu này quá phổ biến, dễ bị đoán.",
        "Mật khẩu không được chỉ gồm chữ số.",
    ]
    assert refusal(sign_up, password_again="khac-hoan-toan-2025") == {
        "password_again": ["Hai mật khẩu đã nhập không giống nhau."]
    }
    assert OneTimeCode.objects.count() == OutboxMessage.objects.count() == 0


def test_a_wrong_code_counts_and_five_wrong_codes_end_the_code(clock):
    row = sign_up()
    code = code_sent_to("0987654321")
    for left in (4, 3, 2, 1):
        assert refusal(actions.confirm_sign_up, row, wrong(code)) == {
            "code": [f"Mã không đúng. Bạn còn {left} lần nhập."]
        }
    exhausted = "Đã nhập sai mã quá nhiều lần. Hãy bấm «Gửi lại mã» để nhận mã mới."
    assert refusal(actions.confirm_sign_up, row, wrong(code)) == {"code": [exhausted]}
    # The right code no longer helps, and nothing was created.
    assert refusal(actions.confirm_sign_up, row, code) == {"code": [exhausted]}
    assert User.objects.count() == 0
    row.refresh_from_db()
    assert row.attempts == 5
    # A new code (after the delay) can be tried again.
    clock.advance(seconds=61)
    actions.resend_code(row)
    assert actions.confirm_sign_up(row, code_sent_to("0987654321")).phone == "0987654321"


def test_a_code_expires_after_ten_minutes(clock):
    row = sign_up()
    code = code_sent_to("0987654321")
    clock.advance(minutes=10)
    assert refusal(actions.confirm_sign_up, row, code) == {
        "code": ["Mã đã hết hạn. Hãy bấm «Gửi lại mã» để nhận mã mới."]
    }
    assert User.objects.count() == 0


def test_a_code_is_sent_again_only_after_a_minute_and_the_old_one_stops_working(clock):
    row = sign_up()
    old = code_sent_to("0987654321")
    clock.advance(seconds=30)
    assert refusal(actions.resend_code, row) == {"code": ["Vui lòng đợi 30 giây rồi gửi lại mã."]}
    assert len(sent_to("0987654321")) == 1
    clock.advance(seconds=30)
    actions.resend_code(row)
    new = code_sent_to("0987654321")
    assert len(sent_to("0987654321")) == 2
    if new != old:
        assert "code" in refusal(actions.confirm_sign_up, row, old)
    assert actions.confirm_sign_up(row, new).is_active


def test_a_sign_up_for_an_address_with_an_account_answers_the_same_and_tells_the_owner(
    make_citizen,
):
    owner = make_citizen(phone="0987654321")
    row = sign_up("0987654321")
    assert (row.can_succeed, row.user) == (False, owner)
    [message] = sent_to("0987654321")
    assert "đã có tài khoản" in message["body"]
    assert "Quên mật khẩu" in message["body"]
    assert not re.search(r"\b\d{6}\b", message["body"])
    # Whatever is typed, the answer is the one for a wrong code.
    assert refusal(actions.confirm_sign_up, row, "123456") == {
        "code": ["Mã không đúng. Bạn còn 4 lần nhập."]
    }
    assert User.objects.count() == 1


def test_codes_are_limited_per_address_and_per_client(clock):
    for _ in range(codes.SENDS_PER_ADDRESS):
        sign_up("0987654321", client_address="198.51.100.1")
        clock.advance(seconds=1)
    limited = {
        "contact": [
            "Đã gửi quá nhiều mã trong một giờ. Vui lòng thử lại sau một giờ hoặc liên hệ bộ "
            "phận một cửa."
        ]
    }
    assert refusal(sign_up, "0987654321", client_address="198.51.100.2") == limited
    assert len(sent_to("0987654321")) == codes.SENDS_PER_ADDRESS
    clock.advance(hours=1)
    sign_up("0987654321", client_address="198.51.100.2")

    for n in range(
        codes.SENDS_PER_CLIENT - CodeSending.objects.filter(client_address="198.51.100.3").count()
    ):
        sign_up(f"ten{n}@example.vn", client_address="198.51.100.3")
    assert refusal(sign_up, "khac@example.vn", client_address="198.51.100.3") == limited
    assert sent_to("khac@example.vn") == []


# --- password reset -------------------------------------------------------------------------


def test_a_reset_sets_the_new_password_and_lifts_the_lockout(make_citizen):
    user = make_citizen()
    AccessAttempt.objects.create(
        username=user.username,
        failures_since_start=5,
        ip_address="203.0.113.7",
        user_agent="",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/dang-nhap/",
    )
    row = actions.request_password_reset(contact="an.nguyen@example.com")
    assert (row.channel, row.user, row.can_succeed) == ("email", user, True)
    code = code_sent_to("an.nguyen@example.com")
    assert refusal(actions.reset_password, row, code, password="ngan", password_again="ngan") == {
        "password": ["Mật khẩu quá ngắn: cần ít nhất 10 ký tự."]
    }
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing changed, the code still works
    actions.reset_password(row, code, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not AccessAttempt.objects.exists()
    record = AuditRecord.objects.get(action="people.password_reset")
    assert record.changes == {"password": "changed", "code": [None, row.pk], "unlocked": 1}


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing():
    row = actions.request_password_reset(contact="0977777777")
    assert (row.channel, row.user, row.can_succeed) == ("sms", None, False)
    assert sent_to("0977777777") == []
    assert refusal(
        actions.reset_password, row, "123456", password=NEW_PASSWORD, password_again=NEW_PASSWORD
    ) == {"code": ["Mã không đúng. Bạn còn 4 lần nhập."]}


def test_an_officials_reset_changes_only_the_password(make_official):
    official = make_official("chuyenvien")
    row = actions.request_password_reset(contact="chuyenvien@example.com")
    user = actions.reset_password(
        row,
        code_sent_to("chuyenvien@example.com"),
        password=NEW_PASSWORD,
        password_again=NEW_PASSWORD,
    )
    assert user == official and user.requires_second_factor
    assert user.totpdevice_set.count() == 1


# --- the account page's actions -------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(make_citizen):
    user = make_citizen()
    assert refusal(
        actions.change_password,
        user,
        current="sai-roi",
        password=NEW_PASSWORD,
        password_again=NEW_PASSWORD,
    ) == {"current_password": ["Mật khẩu hiện tại không đúng."]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    actions.change_password(
        user, current=PASSWORD, password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    user.refresh_from_db()
    assert check_password(NEW_PASSWORD, user.password)
    assert AuditRecord.objects.filter(action="people.password_changed").count() == 1


def test_a_new_phone_takes_effect_only_with_the_code_sent_to_it(make_citizen):
    user = make_citizen()
    row = actions.request_contact_change(user, contact="0933 333 333")
    user.refresh_from_db()
    assert user.phone == "0912345678"
    code = code_sent_to("0933333333")
    assert "code" in refusal(actions.confirm_contact_change, row, wrong(code), user=user)
    assert User.objects.get(pk=user.pk).phone == "0912345678"
    actions.confirm_contact_change(row, code, user=user)
    user.refresh_from_db()
    assert user.phone == "0933333333"
    assert user.citizen.phone == "0933333333"
    record = AuditRecord.objects.get(action="people.contact_changed")
    assert record.changes["phone"] == ["0912345678", "0933333333"]


def test_a_new_address_another_account_uses_is_never_confirmed(make_citizen):
    user = make_citizen()
    other = make_citizen("066090001235", phone="0944444444", email="khac@example.com")
    row = actions.request_contact_change(user, contact="0944444444")
    assert row.can_succeed is False
    assert sent_to("0944444444") == []
    assert "code" in refusal(actions.confirm_contact_change, row, "123456", user=user)
    other.refresh_from_db()
    assert other.phone == "0944444444"


def test_someone_elses_code_row_is_refused(make_citizen):
    user = make_citizen()
    other = make_citizen("066090001235", phone="0944444444", email="khac@example.com")
    row = actions.request_contact_change(user, contact="moi@example.com")
    code = code_sent_to("moi@example.com")
    assert "code" in refusal(actions.confirm_contact_change, row, code, user=other)
    other.refresh_from_db()
    assert other.email == "khac@example.com"


def test_details_and_preferences_are_saved_and_audited(make_citizen):
    user = make_citizen()
    actions.update_own_details(
        user, full_name=" Nguyễn  Văn An ", address="12 Lê Duẩn, Buôn Ma Thuột"
    )
    actions.set_notification_preferences(user, email=False, sms=True, zalo=True)
    user.refresh_from_db()
    assert (user.full_name, user.address) == ("Nguyễn Văn An", "12 Lê Duẩn, Buôn Ma Thuột")
    assert (user.notify_by_email, user.notify_by_sms, user.notify_by_zalo) == (False, True, True)
    record = AuditRecord.objects.get(action="people.notification_preferences_set")
    assert record.changes == {"notify_by_email": [True, False], "notify_by_zalo": [False, True]}
    assert refusal(actions.update_own_details, user, full_name="", address="") == {
        "full_name": ["Chưa nhập họ và tên."]
    }


def test_an_address_taken_before_the_code_is_typed_creates_nothing(make_citizen):
    row = sign_up("0912345678")
    code = code_sent_to("0912345678")
    make_citizen(phone="0912345678")
    assert refusal(actions.confirm_sign_up, row, code) == {
        "code": ["Địa chỉ này vừa được đăng ký. Hãy đăng nhập hoặc lấy lại mật khẩu."]
    }
    assert User.objects.count() == 1
    row.refresh_from_db()
    assert row.used_at is None and row.attempts == 0
    assert not AuditRecord.objects.filter(action="people.citizen_signed_up").exists()


def test_vneid_gives_a_signed_up_account_its_citizen_record_instead_of_a_second_account():
    row = sign_up("0987654321")
    user = actions.confirm_sign_up(row, code_sent_to("0987654321"))
    vouched = {"personal_id": "066090001234", "full_name": "Trần Thị Bình"}
    linked = actions.ensure_citizen_account(**vouched, phone="+84987654321")
    assert linked == user
    assert (linked.citizen.personal_id, linked.citizen.phone) == ("066090001234", "0987654321")
    assert actions.ensure_citizen_account(**vouched) == user
    assert User.objects.count() == 1
    assert AuditRecord.objects.filter(action="people.citizen_linked").count() == 1


def test_vneid_never_takes_over_an_officials_account(make_official):
    official = make_official("chuyenvien")
    user = actions.ensure_citizen_account(
        personal_id="066090001234", full_name="Trần Thị Bình", email="chuyenvien@example.com"
    )
    assert user != official and user.email == ""
    assert not hasattr(official, "citizen") or official.citizen is None
