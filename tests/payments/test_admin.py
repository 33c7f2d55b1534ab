"""The ledger's admin pages: readable by an administrator, and offering no way to change it."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.core import outbox
from tinhso.payments import actions
from tinhso.payments.models import Attempt, Charge, Event, Receipt, Refund

from .ledger_support import FakeGateway, dossier, outcome, world

pytestmark = pytest.mark.django_db

PAGES = ["charge", "attempt", "event", "refund", "receipt"]


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    attempt = actions.start_attempt(charge, FakeGateway(), "203.0.113.7", "https://x/r")
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    actions.refund_refused_dossier(charge.dossier)
    while outbox.run_once():
        pass
    return factories.sign_in(client, factories.official("quantri", is_staff=True))


@pytest.mark.parametrize("page", PAGES)
def test_each_list_is_shown(admin_client, page):
    listing = admin_client.get(f"/quan-tri/payments/{page}/")
    assert listing.status_code == 200


def test_nothing_can_be_added_changed_or_deleted(admin_client):
    models = {
        "charge": Charge,
        "attempt": Attempt,
        "event": Event,
        "refund": Refund,
        "receipt": Receipt,
    }
    for page, model in models.items():
        first = model.objects.order_by("pk").first()
        assert admin_client.get(f"/quan-tri/payments/{page}/add/").status_code == 403
        view = admin_client.get(f"/quan-tri/payments/{page}/{first.pk}/change/")
        assert view.status_code == 200 and b'name="_save"' not in view.content
        before = model.objects.count()
        admin_client.post(f"/quan-tri/payments/{page}/{first.pk}/delete/", {"post": "yes"})
        assert model.objects.count() == before
