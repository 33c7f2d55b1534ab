""" "Hồ sơ của tôi" says which dossier owes a fee (usability test: the citizen saw no sign of
it), in plain Vietnamese, from payments.queries.payment_states: one query for the page,
whatever the number of dossiers."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tinhso.payments import actions, queries

from .ledger_support import FakeGateway, dossier, outcome, use_test_merchant, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def merchant(settings):
    use_test_merchant(settings)


def row_of(page: str, code: str) -> str:
    match = re.search(r"<tr>\s*<td><a [^>]*>" + re.escape(code) + r"</a>.*?</tr>", page, re.S)
    assert match, code
    return match.group(0)


def charged(w, number):
    return actions.charge_for(dossier(w, number), "submission")


def test_each_dossier_says_whether_it_owes_a_fee(client):
    w = world()
    unpaid = charged(w, 1)
    pending = charged(w, 2)
    actions.start_attempt(pending, "vnpay", "203.0.113.7", "http://testserver/r")
    paid = charged(w, 3)
    attempt = actions.start_attempt(paid, FakeGateway(), "203.0.113.7", "http://testserver/r")
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    free = dossier(w, 4)
    client.force_login(w["citizen"])
    page = client.get(reverse("dossiers:mine")).content.decode()
    assert "Chờ thanh toán phí, lệ phí" in row_of(page, unpaid.dossier.code)
    assert "Đang chờ xác nhận thanh toán" in row_of(page, pending.dossier.code)
    assert "Đã nộp phí, lệ phí" in row_of(page, paid.dossier.code)
    assert "tag--fee-" not in row_of(page, free.code)  # no charge: nothing to say


def test_the_tags_cost_one_query_for_the_page(client):
    w = world()
    client.force_login(w["citizen"])
    charged(w, 1)
    client.get(reverse("dossiers:mine"))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dossiers:mine")).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for n in (2, 3, 4, 5):
        charged(w, n)
    assert count() == one


def test_payment_states_agree_with_payment_state():
    w = world()
    unpaid, pending, paid = charged(w, 1), charged(w, 2), charged(w, 3)
    actions.start_attempt(pending, "vnpay", "203.0.113.7", "http://testserver/r")
    attempt = actions.start_attempt(paid, FakeGateway(), "203.0.113.7", "http://testserver/r")
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    free = dossier(w, 4)
    dossiers = [c.dossier for c in (unpaid, pending, paid)] + [free]
    with CaptureQueriesContext(connection) as ctx:
        states = queries.payment_states(dossiers)
    assert len(ctx.captured_queries) == 1
    for d in dossiers:
        assert states.get(d.pk, "none") == queries.payment_state(d)
    assert [states.get(d.pk, "none") for d in dossiers] == ["unpaid", "pending", "paid", "none"]
