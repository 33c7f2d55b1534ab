"""The sandbox acts only as the site's configured VNPay (its own address, the demo secret):
beside a real merchant it is a 404, so it cannot mark anything paid; and it returns the
browser only to this site, never to another (no open redirect)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from tests.sandbox.test_vnpay_sandbox import API, PAY, form_hash, pay_request, query_string
from tinhso.sandbox.models import BankTransaction

REAL_SECRET = "REALMERCHANTSECRET0123456789ABCD"

pytestmark = pytest.mark.django_db


def all_views_are_404(client, fields):
    assert client.get(f"{PAY}?{query_string(fields)}").status_code == 404
    posted = client.post(PAY, {"request": query_string(fields), "choice": "approve"})
    assert posted.status_code == 404
    assert client.post(API, data="{}", content_type="application/json").status_code == 404
    assert client.get("/sandbox/vnpay/").status_code == 404
    assert not BankTransaction.objects.exists()


def test_beside_a_real_merchants_secret_the_sandbox_is_404(client, settings):
    settings.VNPAY_HASH_SECRET = REAL_SECRET
    # signed with the real secret, as anyone holding the sandbox's page could not, and still:
    fields = {k: v for k, v in pay_request().items() if k != "vnp_SecureHash"}
    all_views_are_404(client, {**fields, "vnp_SecureHash": form_hash(fields, REAL_SECRET)})


def test_when_vnpay_is_another_address_the_sandbox_is_404(client, settings):
    settings.VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    all_views_are_404(client, pay_request())


def test_the_sandbox_is_off_by_default_beside_a_real_secret():
    assert django_settings.SANDBOX is (
        django_settings.VNPAY_HASH_SECRET == django_settings.VNPAY_DEMO_HASH_SECRET
        and not django_settings.PRODUCTION
    )


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/steal",
        "http://testserver.evil.example/payments/vnpay/return",
        "http://127.0.0.1:8001/payments/vnpay/return",
        "//evil.example/x",
    ],
)
def test_a_return_to_another_site_is_refused(client, return_url):
    fields = pay_request(vnp_ReturnUrl=return_url)
    page = client.get(f"{PAY}?{query_string(fields)}")
    assert page.status_code == 400
    assert "Địa chỉ trả về" in page.content.decode()
    posted = client.post(PAY, {"request": query_string(fields), "choice": "approve"})
    assert posted.status_code == 400
    assert "Location" not in posted
    assert not BankTransaction.objects.exists()


def test_a_return_to_the_configured_site_is_accepted(client, settings):
    settings.SITE_URL = "https://dichvucong.example.vn"
    fields = pay_request(vnp_ReturnUrl="https://dichvucong.example.vn/payments/vnpay/return")
    assert client.get(f"{PAY}?{query_string(fields)}").status_code == 200
