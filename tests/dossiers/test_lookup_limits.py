"""The public look-up's limits (issue 17, item 9): failures counted per dossier code and per
client address; a refusal says when to try again (`Retry-After`, and in words on the page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from tinhso.dossiers import queries
from tinhso.dossiers.models import LookupAttempt

from .test_views import submitted

T0 = datetime(2026, 12, 7, 2, 0, 0, tzinfo=UTC)  # 09:00 in Vietnam
API = "/api/v1/dossiers/lookup"
WRONG = "WRONGWRONG"


@pytest.fixture
def limits(settings):
    settings.DOSSIER_LOOKUPS_PER_MINUTE = 10  # codes per address
    settings.DOSSIER_LOOKUPS_PER_CODE_PER_MINUTE = 5  # tries per code
    return settings


def at(seconds: float):
    return mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(seconds=seconds))


def api(code: str, secret: str, address: str = "203.0.113.7"):
    return Client().post(
        API, {"code": code, "secret": secret}, content_type="application/json", REMOTE_ADDR=address
    )


def page(code: str, secret: str, address: str = "203.0.113.7"):
    return Client().post(
        reverse("dossiers:lookup"), {"ma": code, "ma-tra-cuu": secret}, REMOTE_ADDR=address
    )


def test_api_429_says_when_the_window_frees(limits, version, citizen):
    dossier = submitted(version, citizen)
    for n in range(5):  # at 0, 5, 10, 15, 20 s
        with at(5 * n):
            assert api(dossier.code, WRONG).status_code == 404
    with at(30):
        refused = api(dossier.code, dossier.issued_secret)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"  # the failure at 0 s leaves the window at 60 s
    assert refused.json()["retry_after"] == 30
    assert "30 giây" in refused.json()["detail"]
    assert dossier.issued_secret not in refused.content.decode()
    with at(59.5):
        assert api(dossier.code, dossier.issued_secret)["Retry-After"] == "1"
    with at(60):  # one failure has left: the right secret opens it again
        assert api(dossier.code, dossier.issued_secret).status_code == 200
    assert LookupAttempt.objects.count() == 5  # refusals and successes are not counted


def test_page_429_says_when_to_try_again_in_vietnamese(limits, version, citizen):
    dossier = submitted(version, citizen)
    with at(0):
        for _ in range(5):
            assert page(dossier.code, WRONG).status_code == 404
    with at(15):
        refused = page(dossier.code, dossier.issued_secret)
    text = refused.content.decode()
    assert refused.status_code == 429 and refused["Retry-After"] == "45"
    assert "vui lòng thử lại sau 45 giây (từ 09:01:00)" in text
    assert dossier.issued_secret not in text


def test_one_codes_secret_guessed_from_many_addresses_is_limited(limits, version, citizen):
    dossier = submitted(version, citizen)
    other = submitted(version, citizen)
    everyone = 5 * queries.ANY_ADDRESS_FACTOR
    with at(0):
        for n in range(everyone):
            assert api(dossier.code, WRONG, address=f"198.51.{n // 200}.{n % 200}").status_code == (
                404
            )
        # a new address gets no try at this code, not even the right secret...
        assert api(dossier.code, WRONG, address="192.0.2.99").status_code == 429
        assert api(dossier.code, dossier.issued_secret, "192.0.2.99").status_code == 429
        # ...and is not slowed down for another code
        assert api(other.code, other.issued_secret, "192.0.2.99").status_code == 200
    assert LookupAttempt.objects.filter(code=dossier.code).count() == everyone


def test_failing_on_purpose_from_one_address_does_not_lock_the_citizen_out(
    limits, version, citizen
):
    """Someone who knows a dossier's code fails on it from one address: that address is held,
    the citizen with the secret (elsewhere) and the receipt's QR link still get the status."""
    from tinhso.dossiers import receipt

    dossier = submitted(version, citizen)
    with at(0):
        for _ in range(8):
            api(dossier.code, WRONG, address="203.0.113.66")
        assert api(dossier.code, WRONG, address="203.0.113.66").status_code == 429
        assert api(dossier.code, dossier.issued_secret, "198.51.100.5").status_code == 200
        dossier.refresh_from_db()
        token = receipt.link_token(dossier.code, dossier.lookup_secret_hash)
        status = queries.public_lookup_by_link(token, client="198.51.100.6")
        assert status is not None and status.code == dossier.code


def test_a_commune_office_behind_one_address_keeps_its_other_codes(limits, version, citizen):
    """Ten failures on one code from one address (a clerk mistyping a citizen's secret) lock
    that code a minute, not the office's look-ups of other dossiers."""
    mistyped = submitted(version, citizen)
    other = submitted(version, citizen)
    office = "192.0.2.10"
    with at(0):
        statuses = [api(mistyped.code, WRONG, office).status_code for _ in range(10)]
        assert statuses == [404] * 5 + [429] * 5
        assert api(other.code, other.issued_secret, office).status_code == 200
        assert page(other.code, other.issued_secret, office).status_code == 200


def test_many_codes_from_one_address_are_limited_per_address(limits, version, citizen):
    dossier = submitted(version, citizen)
    spray = "192.0.2.66"
    for n in range(10):  # ten different (unknown) codes, one try each
        with at(n):
            assert api(f"000.00.03.H66-261205-{9000 + n}", WRONG, spray).status_code == 404
    with at(20):
        refused = api(dossier.code, dossier.issued_secret, spray)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "40"  # the first code's failure leaves at 60 s
        # the code itself is not locked: from another address it opens
        assert api(dossier.code, dossier.issued_secret, "192.0.2.67").status_code == 200
    with at(60):
        assert api(dossier.code, dossier.issued_secret, spray).status_code == 200


def test_the_429_speaks_the_language_asked(limits, version, citizen, settings):
    dossier = submitted(version, citizen)
    with at(0):
        for _ in range(5):
            api(dossier.code, WRONG)
        english = Client()
        english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the choice made on the site
        refused = english.post(
            API,
            {"code": dossier.code, "secret": WRONG},
            content_type="application/json",
            REMOTE_ADDR="203.0.113.7",
        )
    assert refused.status_code == 429
    assert refused.json()["detail"] == "Too many failed look-ups; please try again in 60 seconds."
