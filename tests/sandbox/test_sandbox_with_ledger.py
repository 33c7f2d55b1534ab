"""The sandbox and the ledger together, over HTTP: the sandbox calls the ledger's real IPN on
a live server, the ledger's QueryDR asks the sandbox's API, both with the demo merchant."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from tests.payments.ledger_support import dossier, world
from tinhso.payments import actions, gateways
from tinhso.payments.models import Attempt
from tinhso.sandbox.models import BankTransaction


@pytest.fixture
def sandboxed(live_server, settings):
    settings.VNPAY_TMN_CODE = django_settings.VNPAY_DEMO_TMN_CODE
    settings.VNPAY_HASH_SECRET = django_settings.VNPAY_DEMO_HASH_SECRET
    settings.SITE_URL = live_server.url
    settings.VNPAY_URL = live_server.url + "/sandbox/vnpay/pay"
    settings.VNPAY_API_URL = live_server.url + "/sandbox/vnpay/api"
    return live_server


def started(live_server) -> Attempt:
    charge = actions.charge_for(dossier(world()), "submission")
    assert charge is not None
    return actions.start_attempt(
        charge, "vnpay", "127.0.0.1", live_server.url + "/payments/vnpay/return"
    )


def pay(client, attempt: Attempt, **choice: str):
    url = urlsplit(attempt.payment_url)
    page = client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    return client.post(url.path, {"request": page.context["request_query"], **choice})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_approve_in_the_sandbox_pays_through_the_ledgers_ipn(client, sandboxed):
    attempt = started(sandboxed)
    response = pay(client, attempt, choice="approve")
    assert response.status_code == 302
    assert BankTransaction.objects.get().ipn_answer.startswith("00 ")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.PAID


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_querydr_finds_a_sandbox_payment_whose_ipn_never_came(client, sandboxed):
    attempt = started(sandboxed)
    pay(client, attempt, choice="approve", no_ipn="1")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.PENDING
    outcome = gateways.gateway("vnpay").query(
        txn_ref=attempt.txn_ref, created_at=attempt.created_at, client_ip="127.0.0.1"
    )
    assert (outcome.status, outcome.amount) == ("paid", attempt.amount)
