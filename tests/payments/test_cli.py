"""`tinhso payments list` and `tinhso payments reconcile`, and the demo payments they show."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qsl, quote_plus, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tinhso.payments import actions
from tinhso.payments.models import Attempt, Receipt, Refund

from .ledger_support import SECRET, dossier, outcome, use_test_merchant, world

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("payments", *args, stdout=out)
    return out.getvalue()


def signature_holds(url: str, secret: str) -> bool:
    """Check a payment URL's vnp_SecureHash by hand (sorted, form-encoded, HMAC-SHA512)."""
    fields = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    given = fields.pop("vnp_SecureHash")
    data = "&".join(
        f"{quote_plus(k, safe='').replace('~', '%7E')}={quote_plus(v, safe='').replace('~', '%7E')}"
        for k, v in sorted(fields.items())
        if v
    )
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest() == given


@pytest.fixture
def ledger(settings):
    use_test_merchant(settings)
    w = world()
    started = []
    for n in (1, 2, 3):
        charge = actions.charge_for(dossier(w, n), "submission")
        started.append(actions.start_attempt(charge, "vnpay", "203.0.113.7", "https://x/r"))
    actions.apply_outcome(outcome(started[2].txn_ref, 200000), "callback")
    return started


def test_list_json_has_every_attempt_and_the_signed_url_of_the_pending(ledger, settings):
    rows = json.loads(run("list", "--json"))
    by_ref = {row["txn_ref"]: row for row in rows}
    assert set(by_ref) == {a.txn_ref for a in ledger}
    pending = by_ref[ledger[0].txn_ref]
    assert set(pending) == {
        "dossier_code",
        "txn_ref",
        "amount",
        "state",
        "created_at",
        "payment_url",
    }
    assert (pending["dossier_code"], pending["amount"], pending["state"]) == (
        "000.00.03.H66-261205-0001",
        200000,
        "pending",
    )
    assert pending["created_at"] == ledger[0].created_at.isoformat()
    assert signature_holds(pending["payment_url"], SECRET)
    assert "payment_url" not in by_ref[ledger[2].txn_ref]
    assert by_ref[ledger[2].txn_ref]["state"] == "paid"
    # the URL follows the configuration in force now, not the one it was started under
    settings.VNPAY_HASH_SECRET = "ANOTHERSECRET0123456789ABCDEFGHIJ"
    settings.VNPAY_URL = "https://other.example.vn/pay"
    (row, *_) = [r for r in json.loads(run("list", "--json")) if r["txn_ref"] == ledger[0].txn_ref]
    assert row["payment_url"].startswith("https://other.example.vn/pay?")
    assert signature_holds(row["payment_url"], "ANOTHERSECRET0123456789ABCDEFGHIJ")


def test_list_filters_by_state(ledger):
    rows = json.loads(run("list", "--state", "pending", "--json"))
    assert sorted(r["txn_ref"] for r in rows) == sorted(a.txn_ref for a in ledger[:2])
    assert json.loads(run("list", "--state", "expired", "--json")) == []
    assert ledger[0].txn_ref in run("list")


def test_reconcile_with_a_settlement_file(ledger, tmp_path):
    paid = ledger[2]
    Attempt.objects.filter(pk=paid.pk).update(paid_at=timezone.now() - timedelta(days=1))
    day = timezone.localdate(timezone.now() - timedelta(days=1))
    file = tmp_path / "settlement.csv"
    file.write_text(f"txn_ref,amount\n{paid.txn_ref},200000\nSTRANGER,1000\n", encoding="utf-8")
    out = json.loads(run("reconcile", "--date", day.isoformat(), "--file", str(file), "--json"))
    assert out["date"] == day.isoformat()
    assert [(d["kind"], d["txn_ref"]) for d in out["differences"]] == [
        ("missing_in_ledger", "STRANGER")
    ]
    text = run("reconcile", "--date", day.isoformat(), "--file", str(file))
    assert "1 difference(s)" in text and "STRANGER" in text


def test_reconcile_refuses_bad_arguments(ledger, tmp_path):
    with pytest.raises(CommandError):
        run("reconcile", "--date", "2026-12-05")
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(CommandError):
        run("reconcile", "--date", "05/12/2026", "--file", str(bad))
    with pytest.raises(CommandError):
        run("reconcile", "--file", str(bad))


def test_reconcile_without_a_file_asks_about_pending_attempts(ledger):
    assert "pending attempts asked: 0" in run("reconcile")  # none is 15 minutes old yet


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_has_two_waiting_one_paid_and_one_refunded_and_loads_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from tinhso.payments import demo

    first = demo.load_demo()
    assert first.skipped == "" and len(first.pending) == 2
    rows = json.loads(run("list", "--state", "pending", "--json"))
    assert sorted(r["dossier_code"] for r in rows) == sorted(first.pending)
    for row in rows:
        assert signature_holds(row["payment_url"], settings.VNPAY_HASH_SECRET)
        assert row["payment_url"].startswith(settings.VNPAY_URL + "?")
    paid = Attempt.objects.get(charge__dossier__code=first.paid, state="paid")
    assert (paid.gateway, Receipt.objects.filter(attempt=paid).count()) == ("vnpay", 1)
    assert paid.charge.dossier.fee_status == "paid"
    refund = Refund.objects.get(attempt__charge__dossier__code=first.refunded)
    assert (refund.state, refund.amount) == ("refunded", refund.attempt.amount)
    counts = (Attempt.objects.count(), Refund.objects.count(), Receipt.objects.count())
    second = demo.load_demo()
    assert (second.pending, second.paid, second.refunded) == (
        first.pending,
        first.paid,
        first.refunded,
    )
    assert (Attempt.objects.count(), Refund.objects.count(), Receipt.objects.count()) == counts
