"""The dossiers app's calls into the payment ledger (docs/payments.md, "What the dossiers app
is to call"): the charge at submission, the citizen paying from "Hồ sơ của tôi", the
officer's view of it, a refund case for a refused paid dossier, and the result held while a
fee due before it is unpaid."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.dossiers import support
from tests.dossiers.conftest import make_version
from tests.dossiers.test_actions import ready_draft
from tests.dossiers.test_office_views import sign_in
from tests.payments.ledger_support import callback, query_string, use_test_merchant
from tinhso.core import outbox
from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier
from tinhso.payments.models import Attempt, Charge, Receipt

ONE_FEE = [{"name": "Lệ phí cấp Phiếu lý lịch tư pháp", "amount": 150000, "note": ""}]
TWO_CHANNELS = [
    {"name": "Lệ phí cấp phiếu (nộp trực tuyến)", "amount": 150000, "note": ""},
    {"name": "Lệ phí cấp phiếu (nộp trực tiếp)", "amount": 200000, "note": ""},
]


# --- 1. the charge at submission ---------------------------------------------------------------


def test_an_online_submission_is_charged_what_the_online_channel_owes(agencies, citizen):
    version = make_version(agencies["STP"], code="2.000001", fees=TWO_CHANNELS)
    draft = ready_draft(version, citizen)
    assert (draft.fee_total, draft.fee_status) == (350000, "unpaid")  # version.total_fee

    dossier = actions.submit(draft, user=citizen)

    charge = Charge.objects.get(dossier=dossier)
    assert (charge.due, charge.total, charge.state) == ("submission", 150000, "open")
    assert [line["amount"] for line in charge.lines] == [150000]
    dossier.refresh_from_db()
    assert (dossier.fee_total, dossier.fee_status) == (150000, "unpaid")
    record = AuditRecord.objects.get(action="dossier.fee_charged")
    assert record.changes == {"fee_total": [350000, 150000], "fee_status": ["unpaid", "unpaid"]}


def test_the_review_step_shows_what_the_online_submission_will_owe(agencies, citizen, client):
    version = make_version(agencies["STP"], code="2.000005", fees=TWO_CHANNELS)
    draft = ready_draft(version, citizen)
    client.force_login(citizen)
    page = client.get(reverse("dossiers:draft-review", args=[draft.pk])).content.decode()
    assert "Lệ phí cấp phiếu (nộp trực tuyến): <strong>150.000 đồng</strong>" in page
    assert "(nộp trực tiếp)" not in page  # the counter's line is not this channel's
    assert "Tổng cộng: <strong>150.000 đồng</strong>" in page
    free = ready_draft(make_version(agencies["STP"], code="2.000006", fees=[]), citizen)
    page = client.get(reverse("dossiers:draft-review", args=[free.pk])).content.decode()
    assert "không phải nộp phí, lệ phí khi nộp trực tuyến" in page


def test_a_procedure_without_fee_charges_nothing(agencies, citizen):
    version = make_version(agencies["STP"], code="2.000002", fees=[])
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    assert not Charge.objects.filter(dossier=dossier).exists()
    dossier.refresh_from_db()
    assert (dossier.fee_total, dossier.fee_status) == (0, "none")
    assert not AuditRecord.objects.filter(action="dossier.fee_charged").exists()


def test_a_fee_table_that_cannot_price_the_dossier_leaves_the_submission_standing(
    agencies, citizen
):
    bad = [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1000, "due": "later"}]
    version = make_version(agencies["STP"], code="2.000003", fees=bad)
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    dossier.refresh_from_db()
    assert dossier.state == "submitted" and dossier.code
    assert not Charge.objects.filter(dossier=dossier).exists()


def test_the_charge_is_written_in_the_submissions_own_transaction(agencies, citizen, monkeypatch):
    """A failure while writing the charge undoes the submission with it: a submitted dossier
    is never left without the charge its citizen is about to be asked for."""
    from django.db import DatabaseError

    from tinhso.payments import actions as ledger

    version = make_version(agencies["STP"], code="2.000004", fees=ONE_FEE)
    draft = ready_draft(version, citizen)

    def broken(dossier, due):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(ledger, "charge_for", broken)
    with pytest.raises(DatabaseError):
        actions.submit(draft, user=citizen)
    draft.refresh_from_db()
    assert (draft.state, draft.code) == ("draft", None)
    assert not Charge.objects.exists()
    assert not AuditRecord.objects.filter(action="dossier.submitted").exists()


def test_a_counter_intake_is_charged_what_the_counter_owes(office):
    office.version.fees = TWO_CHANNELS
    office.version.save()
    tk = office.version.components.get(code="TK")
    dossier = actions.intake(
        office.version,
        officer=office.tiepnhan,
        channel="counter",
        personal_id="066195000999",
        full_name="Trần Thị Thu Hương",
        form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
        components=[actions.PaperComponent(tk.pk, "to-khai.pdf", support.pdf_bytes("tk"), True)],
        delivery="counter",
    )
    assert Charge.objects.get(dossier=dossier).total == 200000
    assert (dossier.fee_total, dossier.fee_status) == (200000, "unpaid")
    assert dossier.state == Dossier.State.RECEIVED


# --- 2. the citizen pays ---------------------------------------------------------------------


def deliver_all():
    while outbox.run_once():
        pass


@pytest.fixture
def owed(agencies, citizen, settings):
    use_test_merchant(settings)
    version = make_version(agencies["STP"], code="2.000010", fees=ONE_FEE)
    return actions.submit(ready_draft(version, citizen), user=citizen)


def test_the_citizen_sees_the_charge_and_is_sent_to_the_gateway(owed, citizen, client, settings):
    client.force_login(citizen)
    page = client.get(reverse("dossiers:detail", args=[owed.code])).content.decode()
    assert "Lệ phí cấp Phiếu lý lịch tư pháp" in page
    assert "150.000 đồng" in page and "Chưa thanh toán." in page
    assert "Thanh toán trực tuyến" in page and "csrfmiddlewaretoken" in page
    charge = Charge.objects.get(dossier=owed)

    response = client.post(reverse("dossiers:detail", args=[owed.code]), {"charge": charge.pk})

    attempt = Attempt.objects.get(charge=charge)
    assert response.status_code == 302 and response["Location"] == attempt.payment_url
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == settings.VNPAY_URL
    query = parse_qs(url.query)
    assert query["vnp_Amount"] == ["15000000"] and query["vnp_TxnRef"] == [attempt.txn_ref]
    assert query["vnp_ReturnUrl"] == [settings.SITE_URL.rstrip("/") + "/payments/vnpay/return"]
    assert attempt.state == "pending" and attempt.gateway == "vnpay"
    page = client.get(reverse("dossiers:detail", args=[owed.code])).content.decode()
    assert "Đang chờ cổng thanh toán xác nhận giao dịch" in page


def test_a_paid_charge_shows_paid_and_its_receipt(owed, citizen, client):
    client.force_login(citizen)
    charge = Charge.objects.get(dossier=owed)
    client.post(reverse("dossiers:detail", args=[owed.code]), {"charge": charge.pk})
    attempt = Attempt.objects.get(charge=charge)
    ipn = client.get("/payments/vnpay/ipn?" + query_string(callback(attempt.txn_ref, 150000)))
    assert ipn.json()["RspCode"] == "00"
    deliver_all()

    page = client.get(reverse("dossiers:detail", args=[owed.code])).content.decode()

    receipt = Receipt.objects.get(charge=charge)
    assert "Đã thanh toán" in page and "Thanh toán trực tuyến" not in page
    assert f'href="/payments/bien-lai/{receipt.pk}/"' in page
    pdf = client.get(f"/payments/bien-lai/{receipt.pk}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    owed.refresh_from_db()
    assert owed.fee_status == "paid"


def test_paying_another_citizens_charge_or_a_withdrawn_dossier_starts_nothing(
    owed, citizen, other_citizen, client
):
    charge = Charge.objects.get(dossier=owed)
    client.force_login(other_citizen)
    response = client.post(reverse("dossiers:detail", args=[owed.code]), {"charge": charge.pk})
    assert response.status_code == 404
    client.force_login(citizen)
    actions.withdraw(owed, user=citizen)
    response = client.post(reverse("dossiers:detail", args=[owed.code]), {"charge": charge.pk})
    assert response.status_code == 302 and response["Location"].endswith(owed.code + "/")
    assert not Attempt.objects.exists()
    page = client.get(reverse("dossiers:detail", args=[owed.code])).content.decode()
    assert "Thanh toán trực tuyến" not in page


# --- 3. the officer sees it --------------------------------------------------------------------


def pay_online(dossier, client):
    """Started as the citizen's button starts it, paid as the gateway's IPN reports it."""
    from tinhso.payments import actions as payments

    charge = Charge.objects.get(dossier=dossier, due="submission")
    attempt = payments.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver/r")
    ipn = client.get("/payments/vnpay/ipn?" + query_string(callback(attempt.txn_ref, charge.total)))
    assert ipn.json()["RspCode"] == "00"
    deliver_all()
    return attempt


def test_the_officer_sees_unpaid_then_paid_with_the_receipt(client, office, settings):
    use_test_merchant(settings)
    dossier = office.submitted()
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-detail", args=[dossier.code])
    page = client.get(url).content.decode()
    assert "<strong>Chưa nộp phí, lệ phí</strong> · 200.000 đồng" in page
    queue = client.get(reverse("dossiers:office-queue", args=["cho-tiep-nhan"])).content.decode()
    assert '<span class="tag tag--fee-unpaid">Chưa nộp phí, lệ phí</span>' in queue

    pay_online(dossier, client)

    receipt = Receipt.objects.get(charge__dossier=dossier)
    page = client.get(url).content.decode()
    assert "<strong>Đã nộp phí, lệ phí</strong> · 200.000 đồng" in page
    assert f'href="/payments/bien-lai/{receipt.pk}/"' in page
    assert client.get(f"/payments/bien-lai/{receipt.pk}/").status_code == 200
    queue = client.get(reverse("dossiers:office-queue", args=["cho-tiep-nhan"])).content.decode()
    assert '<span class="tag tag--fee-paid">Đã nộp phí, lệ phí</span>' in queue


def test_the_queue_tags_agree_with_the_ledger_and_cost_three_queries(
    client, office, settings, django_assert_num_queries
):
    from tinhso.dossiers.views_office import payment_states
    from tinhso.payments import actions as payments
    from tinhso.payments.queries import payment_state

    use_test_merchant(settings)
    office.version.fees = []
    office.version.save()
    free = office.submitted()
    office.version.fees = ONE_FEE
    office.version.save()
    unpaid, pending, paid, refused = (office.submitted() for _ in range(4))
    payments.start_attempt(
        Charge.objects.get(dossier=pending), "vnpay", "203.0.113.7", "http://testserver/r"
    )
    pay_online(paid, client)
    pay_online(refused, client)
    payments.refund_refused_dossier(refused)
    dossiers = [free, unpaid, pending, paid, refused]

    with django_assert_num_queries(3):
        states = payment_states(dossiers)

    assert {d.pk: states.get(d.pk, "none") for d in dossiers} == {
        d.pk: payment_state(d) for d in dossiers
    }
    assert [states.get(d.pk, "none") for d in dossiers] == [
        "none",
        "unpaid",
        "pending",
        "paid",
        "refund_case",
    ]


# --- 4. refusals of a paid dossier, the result held while unpaid --------------------------------


def test_a_paid_dossier_rejected_at_reception_gets_its_refund_case(client, office, settings):
    from tinhso.payments.models import Refund

    use_test_merchant(settings)
    dossier = office.submitted()
    attempt = pay_online(dossier, client)

    actions.reject(dossier, officer=office.tiepnhan, reason="Không thuộc thẩm quyền")

    refund = Refund.objects.get(attempt=attempt)
    assert (refund.cause, refund.amount, refund.state) == ("dossier_refused", 200000, "requested")
    assert AuditRecord.objects.filter(action="payments.refund_case").count() == 1


def test_a_paid_dossier_refused_by_the_leader_gets_its_refund_case(client, office, settings):
    from tinhso.payments.models import Refund

    use_test_merchant(settings)
    dossier = office.at_leader()
    attempt = pay_online(dossier, client)

    actions.refuse(dossier, officer=office.lanhdao, reason="Không đủ điều kiện")

    assert Refund.objects.get(attempt=attempt).amount == 200000


def test_an_unpaid_refused_dossier_has_no_refund_case(office):
    from tinhso.payments.models import Refund

    actions.reject(office.submitted(), officer=office.tiepnhan, reason="Sai thủ tục")
    assert not Refund.objects.exists()


BEFORE_RESULT = [
    {"kind": "phi", "code": "BS", "name": "Phí cấp bản sao", "amount": 8000, "due": "before_result"}
]


def test_the_result_is_held_while_the_fee_due_before_it_is_unpaid(client, office, settings):
    use_test_merchant(settings)
    office.version.fees = BEFORE_RESULT
    office.version.save()
    dossier = office.approved(with_result=True)
    assert not Charge.objects.filter(dossier=dossier).exists()
    dossier = actions.mark_ready(dossier, officer=office.vanthu)
    charge = Charge.objects.get(dossier=dossier)
    assert (charge.due, charge.total) == ("before_result", 8000)
    assert (dossier.fee_total, dossier.fee_status) == (8000, "unpaid")

    with pytest.raises(actions.DossierError) as refused:
        actions.return_result(dossier, officer=office.tiepnhan, how="online")

    assert refused.value.code.id == "dossiers.result_waits_for_payment"
    assert refused.value.status == 409
    assert refused.value.message == (
        "Người nộp chưa nộp phí, lệ phí phải nộp trước khi nhận kết quả; chưa trả kết quả được."
    )
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"
    pay_online_due(dossier, client, "before_result")
    dossier.refresh_from_db()
    assert dossier.fee_status == "paid"
    assert actions.return_result(dossier, officer=office.tiepnhan, how="online").state == (
        "returned"
    )


def test_the_result_is_never_ready_without_its_fee(office, monkeypatch):
    """The fee due before the result is written with "result ready": a failure writing it
    undoes the step, so no one can return a result in between whose fee was never charged."""
    from django.db import DatabaseError

    from tinhso.payments import actions as ledger

    office.version.fees = BEFORE_RESULT
    office.version.save()
    dossier = office.approved(with_result=True)
    state = Dossier.objects.get(pk=dossier.pk).state

    def broken(dossier, due):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(ledger, "charge_for", broken)
    with pytest.raises(DatabaseError):
        actions.mark_ready(dossier, officer=office.vanthu)
    assert Dossier.objects.get(pk=dossier.pk).state == state != "result_ready"
    assert not AuditRecord.objects.filter(action="dossier.result_ready").exists()


def pay_online_due(dossier, client, due):
    from tinhso.payments import actions as payments

    charge = Charge.objects.get(dossier=dossier, due=due)
    attempt = payments.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver/r")
    ipn = client.get("/payments/vnpay/ipn?" + query_string(callback(attempt.txn_ref, charge.total)))
    assert ipn.json()["RspCode"] == "00"
    deliver_all()


def test_an_api_submission_answers_with_the_charge_and_a_retry_charges_once(
    client, agencies, citizen
):
    from tests.dossiers.test_api import body, post

    make_version(agencies["STP"], code="2.000011", fees=TWO_CHANNELS)
    client.force_login(citizen)
    first = post(client, body(procedure="2.000011"))
    assert first.status_code == 201
    assert (first.json()["fee_total"], first.json()["fee_status"]) == (150000, "unpaid")
    assert post(client, body(procedure="2.000011")).status_code == 200
    assert Charge.objects.get().total == 150000
