"""The dossiers app's calls into the payment ledger (docs/payments.md, "What the dossiers app
is to call"): the charge at submission, the citizen paying from "Hồ sơ của tôi", the
officer's view of it, a refund case for a refused paid dossier, and the result held while a
fee due before it is unpaid."""

from __future__ import annotations

from tests.dossiers import support
from tests.dossiers.conftest import make_version
from tests.dossiers.test_actions import ready_draft
from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier
from tinhso.payments.models import Charge

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
