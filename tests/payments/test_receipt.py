"""The electronic receipt (biên lai điện tử): issued once per paid charge, downloaded as a PDF
by the dossier's owner or an official who sees the dossier, and by nobody else."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from tests import factories
from tinhso.core import outbox
from tinhso.core.models import AuditRecord
from tinhso.payments import actions
from tinhso.payments.models import Receipt
from tinhso.people.models import Role

from .ledger_support import FakeGateway, dossier, outcome, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAYMENTS_RECEIPT_SERIES = "BL-DL"
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    attempt = actions.start_attempt(charge, FakeGateway(), "203.0.113.7", "https://x/r")
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    while outbox.run_once():
        pass
    return w, Receipt.objects.get(charge=charge)


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_owner_downloads_the_receipt(client, paid):
    w, receipt = paid
    client.force_login(w["citizen"])
    response = client.get(f"/payments/bien-lai/{receipt.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "bien-lai-BL-DL-" in response["Content-Disposition"]
    text = text_of(response.content)
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text
    assert "0000001" in text and "200.000" in text and "Nguyễn Văn An" in text
    yy = receipt.year % 100
    assert f"BL-DL/{yy:02d}" in text and receipt.label == f"BL-DL/{yy:02d} số 0000001"
    assert "Hai trăm nghìn đồng" in " ".join(text.split())


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (105, "Một trăm lẻ năm đồng"),
        (8_000, "Tám nghìn đồng"),
        (25_000, "Hai mươi lăm nghìn đồng"),
        (150_000, "Một trăm năm mươi nghìn đồng"),
        (1_000_005, "Một triệu không trăm lẻ năm đồng"),
        (2_050_000, "Hai triệu không trăm năm mươi nghìn đồng"),
        (1_200_000_000, "Một tỷ hai trăm triệu đồng"),
        (3_000_000_000_000, "Ba nghìn tỷ đồng"),
    ],
)
def test_the_amount_in_words(amount, words):
    from tinhso.payments.receipts import amount_in_words

    assert amount_in_words(amount) == words


def test_another_citizen_and_nobody_get_not_found(client, paid):
    _, receipt = paid
    assert client.get(f"/payments/bien-lai/{receipt.pk}/").status_code == 302  # sign in first
    stranger = factories.citizen("066195000777", phone="0987654321", email="b@example.com")
    client.force_login(stranger)
    assert client.get(f"/payments/bien-lai/{receipt.pk}/").status_code == 404
    assert client.get("/payments/bien-lai/999999/").status_code == 404


def test_an_official_who_sees_the_dossier_downloads_it_and_the_read_is_recorded(client, paid):
    w, receipt = paid
    officer = factories.official(roles=[(Role.SPECIALIST, w["agencies"]["STP"])], totp=True)
    factories.sign_in(client, officer)
    assert client.get(f"/payments/bien-lai/{receipt.pk}/").status_code == 200
    assert AuditRecord.objects.filter(
        action="personal_data.read", object_type="payments.receipt", actor=officer
    ).exists()


def test_a_receipt_is_numbered_in_the_year_it_is_issued(settings):
    settings.PAYMENTS_RECEIPT_SERIES = "BL-DL"
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    w = world()
    late, early = (actions.charge_for(dossier(w, n), "submission") for n in (1, 2))
    attempts = {}
    for name, charge in (("late", late), ("early", early)):
        attempts[name] = actions.start_attempt(charge, FakeGateway(), "203.0.113.7", "https://x/r")
        actions.apply_outcome(outcome(attempts[name].txn_ref, 200000), "callback")
    Receipt.objects.all().delete()
    for a in attempts.values():
        a.refresh_from_db()
    attempts["late"].paid_at = datetime(2026, 12, 31, 23, 59, tzinfo=hcm)

    # the new year's first receipt is issued, then the one paid on New Year's Eve
    first = actions.issue_receipt(attempts["early"], now=datetime(2027, 1, 1, 0, 1, tzinfo=hcm))
    second = actions.issue_receipt(attempts["late"], now=datetime(2027, 1, 1, 0, 2, tzinfo=hcm))

    assert [(r.year, r.number) for r in (first, second)] == [(2027, 1), (2027, 2)]
    assert second.label == "BL-DL/27 số 0000002"
