"""Issue 13 at the counter: the desk records a cash or card payment with the number of the
receipt it gave, on the officer's dossier page; and the result waits for a fee due before it
(one rule, `permissions.returning_result`, for the page's button and the action)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.dossiers.backoffice import state_of_the_world
from tests.dossiers.test_office_views import sign_in
from tinhso.core import outbox
from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions, errors, permissions
from tinhso.dossiers.models import Dossier
from tinhso.payments.models import Attempt, Charge, Receipt

ONE_FEE = [{"name": "Lệ phí cấp Phiếu lý lịch tư pháp", "amount": 150000, "note": ""}]
BEFORE_RESULT = [
    {"kind": "phi", "code": "BS", "name": "Phí cấp bản sao", "amount": 8000, "due": "before_result"}
]
WAITING = "Đang chờ thanh toán phí, lệ phí trước khi trả kết quả"


def deliver_all() -> None:
    while outbox.run_once():
        pass


@pytest.fixture
def owed(office):
    office.version.fees = ONE_FEE
    office.version.save()
    dossier = office.submitted()
    return dossier, Charge.objects.get(dossier=dossier)


def detail(browser: Client, dossier: Dossier):
    return browser.get(reverse("dossiers:office-detail", args=[dossier.code]))


def pay_url(dossier: Dossier, charge: Charge) -> str:
    return reverse("dossiers:office-counter-payment", args=[dossier.code, charge.pk])


def ledger(charge: Charge) -> tuple:
    """The charge's row and what was written about it: unchanged by a refusal."""
    row = Charge.objects.get(pk=charge.pk)
    return (
        row.state,
        row.paid_at,
        Attempt.objects.count(),
        Receipt.objects.count(),
        AuditRecord.objects.count(),
        outbox.OutboxMessage.objects.count(),
    )


def test_the_desk_records_a_cash_payment_and_opens_the_receipt(client, office, owed):
    dossier, charge = owed
    sign_in(client, office.tiepnhan)
    page = detail(client, dossier).content.decode()
    assert "Thu phí, lệ phí tại quầy" in page
    assert f'action="{pay_url(dossier, charge)}"' in page
    assert "Tiền mặt" in page and "Thẻ ngân hàng" in page and "Số biên lai" in page
    assert "Khoản phải nộp: <strong>150.000 đồng</strong>" in page

    response = client.post(pay_url(dossier, charge), {"method": "cash", "receipt_no": " 0001234 "})

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("dossiers:office-detail", args=[dossier.code]) + "#phi-le-phi"
    )
    (attempt,) = Attempt.objects.filter(charge=charge)
    assert (attempt.gateway, attempt.method, attempt.state, attempt.transaction_no) == (
        "counter",
        "cash",
        "paid",
        "0001234",
    )
    assert attempt.recorded_by_id == office.tiepnhan.pk
    assert Charge.objects.get(pk=charge.pk).state == "paid"
    page = client.get(response["Location"]).content.decode()
    assert "Đã ghi nhận khoản thu 150.000 đồng (Tiền mặt), biên lai số 0001234." in page
    assert "<strong>Đã nộp phí, lệ phí</strong>" in page
    assert "Thu phí, lệ phí tại quầy" not in page
    assert "biên lai điện tử đang được lập" in page

    deliver_all()  # the worker issues the electronic receipt after the commit

    receipt = Receipt.objects.get(charge=charge)
    page = detail(client, dossier).content.decode()
    receipt_url = reverse("payments:receipt", args=[receipt.pk])
    assert f'href="{receipt_url}"' in page
    assert "biên lai điện tử đang được lập" not in page
    opened = client.get(receipt_url)
    assert opened.status_code == 200
    assert b"".join(opened).startswith(b"%PDF-")
    assert Dossier.objects.get(pk=dossier.pk).fee_status == "paid"


def test_a_card_payment_is_recorded_as_card(client, office, owed):
    dossier, charge = owed
    sign_in(client, office.tiepnhan)
    response = client.post(pay_url(dossier, charge), {"method": "card", "receipt_no": "TH-77"})
    assert response.status_code == 302
    assert Attempt.objects.get(charge=charge).method == "card"
    page = client.get(response["Location"]).content.decode()
    assert "Đã ghi nhận khoản thu 150.000 đồng (Thẻ ngân hàng), biên lai số TH-77." in page


def test_bad_input_is_shown_next_to_its_field_and_nothing_changes(client, office, owed):
    dossier, charge = owed
    sign_in(client, office.tiepnhan)
    before, world = ledger(charge), state_of_the_world(dossier)

    response = client.post(pay_url(dossier, charge), {"method": "cash", "receipt_no": "   "})

    assert response.status_code == 422
    page = response.content.decode()
    assert (
        f'<p class="error" id="tp-so-loi-{charge.pk}">'
        "Hãy ghi số biên lai (tối đa 60 ký tự).</p>" in page
    )
    assert f'aria-invalid="true" aria-describedby="tp-so-loi-{charge.pk}" autofocus>' in page
    # the top of the page says where the refusal is (the form is far down on a phone)
    assert "Chưa ghi nhận được khoản thu tại quầy: xem lỗi ở mục Thu phí" in page
    assert f'value="cash" id="tp-cash-{charge.pk}" checked>' in page

    response = client.post(pay_url(dossier, charge), {"method": "sec", "receipt_no": "B-12"})

    assert response.status_code == 422
    page = response.content.decode()
    assert (
        f'<p class="error" id="tp-hinh-thuc-loi-{charge.pk}">'
        "Hình thức nộp tại quầy chỉ gồm tiền mặt hoặc thẻ.</p>" in page
    )
    assert "checked" not in page.split(f'id="tp-so-{charge.pk}"')[0].split("thu-phi")[-1]
    assert 'value="B-12"' in page  # what the officer typed is kept
    assert ledger(charge) == before and state_of_the_world(dossier) == world


def test_a_second_payment_of_a_paid_charge_is_refused_with_a_message(client, office, owed):
    dossier, charge = owed
    sign_in(client, office.tiepnhan)
    first = client.post(pay_url(dossier, charge), {"method": "cash", "receipt_no": "1"})
    assert first.status_code == 302
    before = ledger(charge)

    again = client.post(pay_url(dossier, charge), {"method": "card", "receipt_no": "2"})

    assert again.status_code == 409
    assert "Khoản phí, lệ phí này đã được nộp." in again.content.decode()
    assert ledger(charge) == before
    assert Attempt.objects.get(charge=charge).transaction_no == "1"


def test_officials_the_action_does_not_allow_see_no_form_and_change_nothing(
    client, office, owed, other_citizen
):
    dossier, charge = owed
    url = pay_url(dossier, charge)
    specialist = sign_in(Client(), office.chuyenvien)
    outsider = sign_in(Client(), office.outsider)
    before, world = ledger(charge), state_of_the_world(dossier)
    # the specialist sees the dossier but does not take money: no form, 403
    page = detail(specialist, dossier)
    assert page.status_code == 200
    assert (
        url not in page.content.decode() and "Thu phí, lệ phí tại quầy" not in page.content.decode()
    )
    refused = specialist.post(url, {"method": "cash", "receipt_no": "9"})
    assert refused.status_code == 403
    assert "Ông/Bà không có vai trò để thực hiện thao tác thanh toán này." in (
        refused.content.decode()
    )
    assert f'action="{url}"' not in refused.content.decode()
    # another department's desk does not see it at all; neither does a citizen
    assert detail(outsider, dossier).status_code == 404
    assert outsider.post(url, {"method": "cash", "receipt_no": "9"}).status_code == 404
    owner = Client()
    owner.force_login(office.citizen)
    assert owner.post(url, {"method": "cash", "receipt_no": "9"}).status_code == 404
    stranger = Client()
    stranger.force_login(other_citizen)
    assert stranger.post(url, {"method": "cash", "receipt_no": "9"}).status_code == 404
    # signed out: to the sign-in page
    assert Client().post(url, {"method": "cash", "receipt_no": "9"}).status_code == 302
    assert ledger(charge) == before and state_of_the_world(dossier) == world


def test_only_post_with_its_token_and_only_the_dossiers_own_charge(client, office, owed):
    dossier, charge = owed
    other = office.submitted()
    sign_in(client, office.tiepnhan)
    before = ledger(charge)
    assert client.get(pay_url(dossier, charge)).status_code == 405
    guarded = sign_in(Client(enforce_csrf_checks=True), office.tiepnhan)
    assert (
        guarded.post(pay_url(dossier, charge), {"method": "cash", "receipt_no": "1"}).status_code
        == 403
    )
    wrong = reverse("dossiers:office-counter-payment", args=[other.code, charge.pk])
    assert client.post(wrong, {"method": "cash", "receipt_no": "1"}).status_code == 404
    assert ledger(charge) == before


def test_a_dossier_without_a_charge_or_refused_shows_no_counter_form(client, office, owed):
    dossier, _charge = owed
    sign_in(client, office.tiepnhan)
    free = office.version
    free.fees = []
    free.save()
    without = office.submitted()
    assert "Thu phí, lệ phí tại quầy" not in detail(client, without).content.decode()
    actions.reject(dossier, officer=office.tiepnhan, reason="Không thuộc thẩm quyền")
    assert "Thu phí, lệ phí tại quầy" not in detail(client, dossier).content.decode()


# --- the result waits for the fee due before it ------------------------------------------------


@pytest.fixture
def result_waiting(office):
    office.version.fees = BEFORE_RESULT
    office.version.save()
    dossier = actions.mark_ready(office.approved(with_result=True), officer=office.vanthu)
    return dossier, Charge.objects.get(dossier=dossier, due="before_result")


def test_the_return_is_not_offered_while_the_fee_is_awaited(client, office, result_waiting):
    dossier, charge = result_waiting
    desk = office.tiepnhan
    assert "return_result" not in permissions.available(desk, dossier)
    refused = permissions.refusal(desk, dossier, "return_result")
    assert refused is not None and refused.code is errors.RESULT_WAITS_FOR_PAYMENT
    assert refused.status == 409
    sign_in(client, desk)
    page = detail(client, dossier).content.decode()
    assert WAITING in page
    assert reverse("dossiers:office-act", args=[dossier.code, "return_result"]) not in page
    assert f'action="{pay_url(dossier, charge)}"' in page
    # the action refuses by the same rule, and changes nothing
    world = state_of_the_world(dossier)
    with pytest.raises(actions.DossierError) as stale:
        actions.return_result(dossier, officer=desk, how="desk")
    assert stale.value.code is errors.RESULT_WAITS_FOR_PAYMENT
    assert state_of_the_world(dossier) == world

    paid = client.post(pay_url(dossier, charge), {"method": "cash", "receipt_no": "BL-8"})

    assert paid.status_code == 302
    dossier.refresh_from_db()
    assert permissions.available(desk, dossier) == ["return_result"]
    page = client.get(paid["Location"]).content.decode()
    assert WAITING not in page
    assert reverse("dossiers:office-act", args=[dossier.code, "return_result"]) in page
    assert actions.return_result(dossier, officer=desk, how="desk").state == "returned"


def test_the_waiting_note_is_for_the_desk_only(client, office, result_waiting):
    dossier, _charge = result_waiting
    # the clerk may not return a result anyway: no note about the fee as if it were theirs
    sign_in(client, office.vanthu)
    page = detail(client, dossier).content.decode()
    assert WAITING not in page
    refused = permissions.refusal(office.vanthu, dossier, "return_result")
    assert refused is not None and refused.code is errors.NOT_RETURNING_DESK
