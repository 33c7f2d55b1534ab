"""The administrator's page of the sync (docs/dvcqg.md, "Administrator page"): health per
agency, the parked messages with the portal's reason, and the audited re-send, for the
provincial IT administrator only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dossiers.test_office_views import sign_in
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dvcqg import actions
from tinhso.people import actions as people_actions
from tinhso.people.models import Role

from .support import deliver_sync, pending_sync

PAGE = "admin:dvcqg_syncstate_changelist"
REASON = (
    "PortalRejected: Cổng DVC quốc gia từ chối hồ sơ X: Mã thủ tục 2.000488 không tồn tại "
    "trên CSDL quốc gia về TTHC (mã 2)"
)


def official(username, agency, role, *, staff=True):
    user = people_actions.create_official(
        username=username,
        full_name=f"Cán bộ {username}",
        email=f"{username}@example.com",
        password="Mat-khau-dai-2026",
        actor=None,
        is_staff=staff,
    )
    people_actions.grant_role(user, agency, role, actor=None)
    return user


@pytest.fixture
def it_admin(agencies):
    return official("quantri.tinh", agencies["UBND"], Role.ADMINISTRATOR)


def park_one(office):
    dossier = office.submitted()
    [message] = pending_sync()
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.PARKED, last_error=REASON, attempts=1
    )
    return dossier, message


def test_the_page_shows_health_per_agency_and_the_parked_messages(client, synced, office, it_admin):
    office.received()
    deliver_sync()
    dossier, message = park_one(office)
    sign_in(client, it_admin)
    page = client.get(reverse(PAGE))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tình trạng đồng bộ theo cơ quan" in html
    assert "Sở Tư pháp tỉnh Đắk Lắk" in html
    assert dossier.code in html and "không tồn tại trên CSDL quốc gia về TTHC" in html
    assert f'action="{reverse("admin:dvcqg_syncstate_resend", args=[message.pk])}"' in html


def test_resend_puts_the_parked_message_back_and_is_audited(client, synced, office, it_admin):
    dossier, message = park_one(office)
    sign_in(client, it_admin)
    response = client.post(reverse("admin:dvcqg_syncstate_resend", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING and message.attempts == 0
    record = AuditRecord.objects.get(action="dvcqg.parked_resent")
    assert record.object_id == str(dossier.pk) and record.actor == it_admin
    assert record.changes["reason"] == [REASON, None]
    assert deliver_sync() == [True]
    assert dossier.code in synced.store()["records"]


def test_others_may_not_see_or_resend(client, synced, office, agencies):
    _, message = park_one(office)
    # an administrator of a department, and a one-stop officer with staff access
    for user in (
        official("quantri.so", agencies["STP"], Role.ADMINISTRATOR),
        official("tiepnhan.staff", agencies["UBND"], Role.RECEIVING_OFFICER),
    ):
        client.logout()
        sign_in(client, user)
        assert client.get(reverse(PAGE)).status_code == 403
        resend = client.post(reverse("admin:dvcqg_syncstate_resend", args=[message.pk]))
        assert resend.status_code == 403
        with pytest.raises(actions.NotPermitted):
            actions.resend_parked(message.pk, actor=user)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PARKED
    assert not AuditRecord.objects.filter(action="dvcqg.parked_resent").exists()


OFF = (
    "Chưa kết nối với Cổng Dịch vụ công quốc gia: đồng bộ đang tắt. Cấu hình địa chỉ kết nối "
    "trong tệp cấu hình máy chủ (xem tài liệu triển khai)."
)
NONE_REFUSED = '<p id="khong-tin-bi-dung">Không có hồ sơ nào bị Cổng từ chối.</p>'


def state_cell(klass, label):
    return f'<span class="dvcqg-state dvcqg-state-{klass}">{label}</span>'


def test_sync_off_says_so_in_words_and_nothing_looks_green(client, settings, office, it_admin):
    settings.DVCQG_URL = ""
    office.submitted()
    office.submitted()
    sign_in(client, it_admin)
    html = client.get(reverse(PAGE)).content.decode()
    assert f'<div class="dvcqg-note" id="dong-bo-tat" role="status"><p>{OFF}</p>' in html
    # the variable's name only in the technical detail line
    assert html.count("TINHSO_DVCQG_URL") == 1
    assert (
        '<p class="dvcqg-detail">Chi tiết kỹ thuật: biến môi trường TINHSO_DVCQG_URL chưa được '
        "đặt.</p>" in html
    )
    assert state_cell("cho", "Chưa đồng bộ") in html
    assert "dvcqg-state-tot" not in html and "Đã đồng bộ" not in html
    assert '<td data-label="Hồ sơ chưa đồng bộ">2</td>' in html
    assert NONE_REFUSED in html
    assert "Gửi lại" not in html


def test_green_only_when_on_and_the_portal_holds_every_latest_version(
    client, synced, office, it_admin
):
    office.submitted()
    sign_in(client, it_admin)
    html = client.get(reverse(PAGE)).content.decode()
    assert 'id="dong-bo-tat"' not in html and "TINHSO_DVCQG_URL" not in html
    assert state_cell("cho", "Chưa đồng bộ") in html
    assert '<td data-label="Hồ sơ chưa đồng bộ">1</td>' in html
    assert deliver_sync() == [True]
    html = client.get(reverse(PAGE)).content.decode()
    assert state_cell("tot", "Đã đồng bộ") in html
    assert '<td data-label="Hồ sơ chưa đồng bộ">0</td>' in html
    assert "dvcqg-state-cho" not in html and NONE_REFUSED in html


def test_a_refused_dossier_marks_its_agency_and_offers_the_resend(client, synced, office, it_admin):
    _, message = park_one(office)
    sign_in(client, it_admin)
    html = client.get(reverse(PAGE)).content.decode()
    assert state_cell("loi", "Có hồ sơ bị Cổng từ chối") in html
    assert '<td data-label="Bị Cổng từ chối">1</td>' in html
    assert f'<tr id="tin-{message.pk}">' in html and NONE_REFUSED not in html
