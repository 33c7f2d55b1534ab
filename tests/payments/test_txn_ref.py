"""A payment reference that is already taken is drawn again (actions._create_attempt),
inside a savepoint, instead of failing the request with an IntegrityError."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from tests import factories
from tinhso.payments import actions
from tinhso.payments.models import Attempt
from tinhso.people.models import Role

from .ledger_support import FakeGateway, dossier, world

pytestmark = pytest.mark.django_db


def refs(monkeypatch, *drawn):
    queue = list(drawn)
    monkeypatch.setattr(actions, "new_txn_ref", lambda now: queue.pop(0))
    return queue


def test_an_online_attempt_draws_again_when_its_reference_is_taken(monkeypatch):
    w = world()
    first = actions.charge_for(dossier(w, 1), "submission")
    second = actions.charge_for(dossier(w, 2), "submission")
    refs(monkeypatch, "261205AAAAAAAA", "261205AAAAAAAA", "261205AAAAAAAA", "261205BBBBBBBB")
    taken = actions.start_attempt(first, FakeGateway(), "203.0.113.7", "https://x/ret")

    attempt = actions.start_attempt(second, FakeGateway(), "203.0.113.7", "https://x/ret")

    assert (taken.txn_ref, attempt.txn_ref) == ("261205AAAAAAAA", "261205BBBBBBBB")
    assert attempt.state == "pending"
    assert Attempt.objects.count() == 2


def test_a_counter_payment_draws_again_too(monkeypatch):
    w = world()
    officer = factories.official("vt", roles=[(Role.RECEIVING_OFFICER, w["agencies"]["STP"])])
    online = actions.charge_for(dossier(w, 1), "submission")
    counter = actions.charge_for(dossier(w, 2), "submission")
    refs(monkeypatch, "261205CCCCCCCC", "261205CCCCCCCC", "261205DDDDDDDD")
    Attempt.objects.filter(
        pk=actions.start_attempt(online, FakeGateway(), "203.0.113.7", "https://x/ret").pk
    ).update(txn_ref="Q261205CCCCCCCC")

    paid = actions.record_counter_payment(counter, officer=officer, method="cash", receipt_no="1")

    assert paid.txn_ref == "Q261205DDDDDDDD"
    assert paid.state == "paid"


def test_it_gives_up_after_a_few_tries(monkeypatch):
    w = world()
    first = actions.charge_for(dossier(w, 1), "submission")
    second = actions.charge_for(dossier(w, 2), "submission")
    refs(monkeypatch, *["261205EEEEEEEE"] * (1 + actions.TXN_REF_TRIES))
    actions.start_attempt(first, FakeGateway(), "203.0.113.7", "https://x/ret")
    with pytest.raises(IntegrityError):
        actions.start_attempt(second, FakeGateway(), "203.0.113.7", "https://x/ret")
    assert Attempt.objects.count() == 1
