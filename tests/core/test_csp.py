"""A strict Content-Security-Policy on every response; the API docs from our own origin."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.core.test_configuration import tinhso
from tinhso.core import csp

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/thu-tuc/", "/api/v1/health", "/khong-co-trang-nay/"])
def test_every_response_carries_the_policy(url):
    header = Client().get(url)["Content-Security-Policy"]
    assert "script-src 'self';" in header
    assert "style-src 'self';" in header
    assert "'unsafe-inline'" not in header
    assert "object-src 'none'" in header
    assert "frame-ancestors 'self'" in header


def test_the_tile_server_may_serve_images_and_nothing_else(settings):
    assert "tiles.example.vn" not in csp.policy()
    settings.MAP_TILE_URL = "https://tiles.example.vn/{z}/{x}/{y}.png"
    header = csp.policy()  # follows the setting, even after an earlier policy was built
    assert "img-src 'self' data: https://tiles.example.vn;" in header
    assert header.count("tiles.example.vn") == 1


def test_forms_may_be_answered_by_a_redirect_to_the_payment_gateways_only(settings):
    """The "Thanh toán trực tuyến" form is answered by a redirect to the gateway's page, which
    browsers check against form-action: the configured gateways' origins, nothing else."""
    settings.VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    settings.PAYGOV_URL = "https://pay.dichvucong.gov.vn/api/message"
    header = csp.policy()
    assert (
        "form-action 'self' https://pay.dichvucong.gov.vn https://sandbox.vnpayment.vn;"
    ) in header
    settings.VNPAY_URL = settings.PAYGOV_URL = ""
    assert "form-action 'self';" in csp.policy()


def test_the_api_docs_load_swagger_from_our_own_static_files():
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "style-src 'self' 'unsafe-inline'" in page["Content-Security-Policy"]


@pytest.mark.slow
def test_production_serves_no_api_docs_unless_asked(tmp_path):
    probe = (
        "from django.test import Client; from tinhso.api.main import api;"
        "print(api.docs_url, Client().get('/api/v1/docs', secure=True).status_code"
        " if api.docs_url is None else '-')"
    )
    env = {
        "TINHSO_MODE": "production",
        "SECRET_KEY": "k" * 20 + "Zq8#vT2!mW9@xL4$pR7&nB5*" + "j" * 20,
        "ALLOWED_HOSTS": "testserver",
        "TINHSO_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    off = tinhso("shell", "-c", probe, **env)
    assert off.stdout.splitlines()[-1].split() == ["None", "404"], off.stderr
    on = tinhso("shell", "-c", probe, TINHSO_API_DOCS="true", **env)
    assert on.stdout.splitlines()[-1].split() == ["/docs", "-"], on.stderr
