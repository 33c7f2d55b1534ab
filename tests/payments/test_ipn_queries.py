"""The IPN's hot path in statements (docs/payments.md, "IPN and return"; bench/payments_ipn.py):
a later round trip on it fails here, not only in a benchmark run nobody reads.

A repeat delivery about a paid attempt (the gateway retrying; 49 of 50 concurrent copies) is
one statement: the check and the event together. The first delivery that pays is the lock,
the writes the ledger needs (attempt, charge, audit, outbox, event) and nothing more. Counted
through the whole request (middleware included), on SQLite and PostgreSQL alike; transaction
statements (BEGIN, COMMIT, SAVEPOINT, RELEASE) are left out, as the test's own transaction
turns the view's BEGIN into a SAVEPOINT."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.payments import actions
from tinhso.payments.models import Event

from .ledger_support import callback, dossier, query_string, use_test_merchant, world

IPN = "/payments/vnpay/ipn"
TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)
TABLE = re.compile(r'^\s*(SELECT .*? FROM|INSERT INTO|UPDATE)\s+"?(\w+)"?', re.I | re.S)


@pytest.fixture(autouse=True)
def merchant(settings):
    use_test_merchant(settings)
    settings.DVCQG_URL = ""  # the portal sync adds its own message when configured


@pytest.fixture
def attempt(db):
    charge = actions.charge_for(dossier(world()), "submission")
    return actions.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver/r")


def locked(statement: str) -> str:
    """A SELECT that locks its row: PostgreSQL says FOR (NO KEY) UPDATE, SQLite locks the
    whole database at BEGIN IMMEDIATE and says nothing."""
    return statement + (" FOR UPDATE" if connection.vendor == "postgresql" else "")


def statements(client, url: str) -> tuple[str, list[str]]:
    """The IPN's answer code and its statements as "VERB table" (transactions left out)."""
    with CaptureQueriesContext(connection) as ctx:
        code = client.get(url).json()["RspCode"]
    shown = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if TRANSACTION.match(sql):
            continue
        m = TABLE.match(sql)
        verb = sql.split(None, 1)[0].upper()
        for_update = " FOR UPDATE" if "FOR NO KEY UPDATE" in sql or "FOR UPDATE" in sql else ""
        shown.append(f"{verb} {m.group(2) if m else sql[:60]}{for_update}")
    return code, shown


@pytest.mark.django_db
def test_a_repeat_delivery_is_one_statement(client, attempt):
    url = f"{IPN}?{query_string(callback(attempt.txn_ref, 200000))}"
    assert client.get(url).json()["RspCode"] == "00"
    code, done = statements(client, url)
    assert code == "02"
    assert done == ["INSERT payments_event"]
    # and that statement kept the same event the locked path keeps
    kept = Event.objects.order_by("-pk").first()
    assert (kept.attempt_id, kept.kind, kept.status, kept.amount, kept.effect) == (
        attempt.pk,
        "callback",
        "paid",
        200000,
        "already",
    )
    assert (kept.verified, kept.gateway_code, kept.signature) == (True, "00/00", "")
    assert kept.raw["vnp_TxnRef"] == attempt.txn_ref
    assert kept.raw["vnp_OrderInfo"].startswith("Thanh toan phi le phi")
    assert kept.received_at is not None


@pytest.mark.django_db
def test_the_first_delivery_locks_once_and_writes_what_the_ledger_needs(client, attempt):
    url = f"{IPN}?{query_string(callback(attempt.txn_ref, 200000))}"
    code, done = statements(client, url)
    assert code == "00"
    assert done == [
        "INSERT payments_event",  # the repeat check: the attempt is not paid, nothing written
        locked("SELECT payments_attempt"),
        locked("SELECT payments_charge"),
        "UPDATE payments_attempt",
        "UPDATE payments_charge",
        "INSERT core_auditrecord",
        "INSERT core_outboxmessage",  # payments.paid (receipt, notices)
        "INSERT core_outboxmessage",  # ioc.dossier: the IOC counts it paid online (issue 16)
        "INSERT payments_event",
    ]


@pytest.mark.django_db
def test_an_unknown_reference_is_two_statements_and_one_event(client, attempt):
    code, done = statements(client, f"{IPN}?{query_string(callback('NOSUCHREF123', 200000))}")
    assert code == "01"
    assert done == [
        "INSERT payments_event",
        locked("SELECT payments_attempt"),
        "INSERT payments_event",
    ]
    assert Event.objects.filter(txn_ref="NOSUCHREF123", attempt=None).count() == 1


@pytest.mark.django_db
def test_a_forged_delivery_touches_no_table(client, attempt):
    fields = {**callback(attempt.txn_ref, 200000), "vnp_Amount": "100"}
    code, done = statements(client, f"{IPN}?{query_string(fields)}")
    assert (code, done) == ("97", [])


@pytest.mark.django_db
def test_without_insert_returning_a_repeat_is_read_then_kept(client, attempt, monkeypatch):
    # SQLite before 3.35 has no RETURNING: the repeat path reads the paid attempt, then keeps
    # the event (two statements), and answers the same
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's fallback; PostgreSQL's own inserts need RETURNING")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    url = f"{IPN}?{query_string(callback(attempt.txn_ref, 200000))}"
    assert client.get(url).json()["RspCode"] == "00"
    code, done = statements(client, url)
    assert (code, done) == ("02", ["SELECT payments_attempt", "INSERT payments_event"])
    assert list(Event.objects.values_list("effect", flat=True)) == ["applied", "already"]
