"""core/notify honours the channels a citizen chose on the account page."""

from __future__ import annotations

import pytest

from tinhso.core import notify
from tinhso.core.models import OutboxMessage
from tinhso.people import actions

pytestmark = pytest.mark.django_db


def queued() -> list[tuple[str, str]]:
    return [(m.payload["channel"], m.payload["to"]) for m in OutboxMessage.objects.order_by("pk")]


def test_news_to_a_citizen_goes_through_the_channels_they_chose(make_citizen, settings):
    settings.SITE_URL = "https://dichvucong.daklak.gov.vn"
    user = make_citizen()
    actions.set_notification_preferences(user, email=False, sms=True, zalo=True)
    message = notify.notify(
        "email", "AN.NGUYEN@example.com", "Hồ sơ 0001 đã được tiếp nhận", "Mã tra cứu: K7Q2-9XPM"
    )
    # Zalo ZNS needs an approved template: news without one is not moved there.
    assert queued() == [("sms", "0912345678")]
    assert message is not None and message.payload["channel"] == "sms"
    assert message.payload["body"] == (
        "Hồ sơ 0001 đã được tiếp nhận. Xem chi tiết: "
        "https://dichvucong.daklak.gov.vn/ho-so-cua-toi/"
    )


def test_news_goes_once_where_it_is_addressed_when_the_citizen_takes_that_channel(make_citizen):
    make_citizen()
    message = notify.notify("sms", "0912345678", "Hồ sơ", "Đã tiếp nhận")
    assert queued() == [("sms", "0912345678")]
    assert message is not None and message.payload["body"] == "Đã tiếp nhận"


def test_news_with_a_template_may_move_to_zalo(make_citizen):
    user = make_citizen()
    actions.set_notification_preferences(user, email=False, sms=False, zalo=True)
    notify.notify("email", "an.nguyen@example.com", "Hồ sơ", "Đã tiếp nhận", template_id="2001")
    assert queued() == [("zalo", "0912345678")]


def test_a_citizen_who_wants_nothing_gets_nothing(make_citizen):
    user = make_citizen()
    actions.set_notification_preferences(user, email=False, sms=False, zalo=False)
    assert notify.notify("email", "an.nguyen@example.com", "Hồ sơ", "Đã tiếp nhận") is None
    assert queued() == []


def test_codes_and_unknown_addresses_go_where_they_are_addressed(make_citizen, make_official):
    user = make_citizen()
    actions.set_notification_preferences(user, email=False, sms=False, zalo=False)
    notify.notify("email", "an.nguyen@example.com", "Mã", "123456", essential=True)
    notify.notify("email", "nguoi-la@example.com", "Hồ sơ", "Đã tiếp nhận")
    make_official("chuyenvien")
    notify.notify("email", "chuyenvien@example.com", "Phân công", "Hồ sơ mới")
    assert queued() == [
        ("email", "an.nguyen@example.com"),
        ("email", "nguoi-la@example.com"),
        ("email", "chuyenvien@example.com"),
    ]
