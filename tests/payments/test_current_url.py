"""A pending attempt's payment URL follows the configuration in force now (issue 13: "the
signed gateway URL for the current configuration"): an attempt started while the site ran at
another address (TINHSO_SITE_URL, its port) is given, by `tinhso payments list --json` and
when the citizen clicks to continue paying, a URL to today's gateway address with a return
address on today's site, signed with today's secret; the embedded sandbox accepts it, where
it refuses the old one (its return address is no longer on this site)."""

from __future__ import annotations

import hashlib
import hmac
import json
from io import StringIO
from urllib.parse import parse_qsl, quote_plus, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from tinhso.core.models import AuditRecord
from tinhso.payments import actions
from tinhso.payments.models import Attempt

from .ledger_support import dossier, world

pytestmark = pytest.mark.django_db

OLD, NEW = "http://127.0.0.1:8000", "http://127.0.0.1:8001"


def fields_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def signature_holds(url: str, secret: str) -> bool:
    """vnp_SecureHash checked by hand: sorted, form-encoded as PHP does, HMAC-SHA512."""
    fields = fields_of(url)
    given = fields.pop("vnp_SecureHash")

    def enc(text: str) -> str:
        return quote_plus(text, safe="").replace("~", "%7E")

    data = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(fields.items()) if v)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest() == given


def serve_at(settings, site: str) -> None:
    """The demo merchant and the embedded sandbox, on `site`."""
    settings.SITE_URL = site
    settings.VNPAY_TMN_CODE = settings.VNPAY_DEMO_TMN_CODE
    settings.VNPAY_HASH_SECRET = settings.VNPAY_DEMO_HASH_SECRET
    settings.VNPAY_URL = site + reverse("sandbox:vnpay-pay")
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]


@pytest.fixture
def started(settings):
    serve_at(settings, OLD)
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    attempt = actions.start_attempt(charge, "vnpay", "203.0.113.7", actions.return_url())
    assert attempt.payment_url.startswith(OLD + "/sandbox/vnpay/pay?")
    assert fields_of(attempt.payment_url)["vnp_ReturnUrl"] == OLD + "/payments/vnpay/return"
    serve_at(settings, NEW)  # the site restarted on another port
    return w, attempt


def assert_for_the_new_site(url: str, settings) -> None:
    assert url.startswith(NEW + "/sandbox/vnpay/pay?")
    assert fields_of(url)["vnp_ReturnUrl"] == NEW + "/payments/vnpay/return"
    assert signature_holds(url, settings.VNPAY_HASH_SECRET)


def test_the_command_lists_the_url_for_the_current_site(started, settings):
    _w, attempt = started
    out = StringIO()
    call_command("payments", "list", "--state", "pending", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["txn_ref"] == attempt.txn_ref
    assert_for_the_new_site(row["payment_url"], settings)
    # the command only reads: the attempt keeps what it was started with
    attempt.refresh_from_db()
    assert attempt.payment_url.startswith(OLD)


def test_continuing_to_pay_sends_the_citizen_to_the_current_site(started, settings, client):
    w, attempt = started
    client.force_login(w["citizen"])
    page = reverse("dossiers:detail", kwargs={"code": attempt.charge.dossier.code})
    response = client.post(page, {"charge": attempt.charge_id}, HTTP_HOST="127.0.0.1:8001")
    assert response.status_code == 302
    assert Attempt.objects.count() == 1  # the same attempt, not a second one
    assert_for_the_new_site(response["Location"], settings)
    attempt.refresh_from_db()
    assert (attempt.payment_url, attempt.return_url) == (
        response["Location"],
        NEW + "/payments/vnpay/return",
    )
    assert AuditRecord.objects.filter(action="payments.attempt_resigned").count() == 1

    # the sandbox on the new site takes the new URL, and refused the old one
    new = urlsplit(response["Location"])
    shown = client.get(f"{new.path}?{new.query}", HTTP_HOST="127.0.0.1:8001")
    assert shown.status_code == 200
    assert attempt.txn_ref in shown.content.decode()


def test_the_sandbox_refuses_the_url_signed_for_the_old_site(started, client):
    _w, attempt = started
    old = urlsplit(attempt.payment_url)
    refused = client.get(f"{old.path}?{old.query}", HTTP_HOST="127.0.0.1:8001")
    assert refused.status_code == 400  # its return address is not on this site (code 03)


def test_continuing_again_changes_nothing_more(started, settings, client):
    w, attempt = started
    client.force_login(w["citizen"])
    page = reverse("dossiers:detail", kwargs={"code": attempt.charge.dossier.code})
    first = client.post(page, {"charge": attempt.charge_id}, HTTP_HOST="127.0.0.1:8001")
    second = client.post(page, {"charge": attempt.charge_id}, HTTP_HOST="127.0.0.1:8001")
    assert first["Location"] == second["Location"]
    assert AuditRecord.objects.filter(action="payments.attempt_resigned").count() == 1
