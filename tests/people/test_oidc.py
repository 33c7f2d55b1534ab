"""Citizens sign in through OpenID Connect, against a real provider running on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY

from tinhso.core.models import AuditRecord
from tinhso.people import oidc
from tinhso.people.models import Citizen, User

from .oidc_provider import Provider

pytestmark = pytest.mark.django_db

CLAIMS = {
    "sub": "vneid-7f3a",
    "personal_id": "066090001234",
    "name": "Nguyễn Văn An",
    "email": "an.nguyen@example.com",
    "phone_number": "+84912345678",
    "birthdate": "1990-05-12",
}


@pytest.fixture
def provider():
    running = Provider(claims=dict(CLAIMS)).start()
    oidc.clear_discovery_cache()
    yield running
    running.stop()
    oidc.clear_discovery_cache()


@pytest.fixture
def configured(settings, provider):
    """Every endpoint named in the settings, as OIDC_OP_* would in production."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = provider.url("/authorize")
    settings.OIDC_OP_TOKEN_ENDPOINT = provider.url("/token")
    settings.OIDC_OP_USER_ENDPOINT = provider.url("/userinfo")
    settings.OIDC_OP_JWKS_ENDPOINT = provider.url("/jwks")
    return provider


@pytest.fixture
def discovered(settings, provider):
    """Only the issuer: the endpoints come from its discovery document."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = ""
    settings.OIDC_OP_TOKEN_ENDPOINT = ""
    settings.OIDC_OP_USER_ENDPOINT = ""
    settings.OIDC_OP_JWKS_ENDPOINT = ""
    return provider


def run_flow(client, provider, start="/oidc/authenticate/"):
    """Start at our site, let the provider authorise, come back to the callback."""
    started = client.get(start)
    assert started.status_code == 302
    authorize = urlsplit(started.url)
    assert f"{authorize.scheme}://{authorize.netloc}" == provider.issuer
    query = parse_qs(authorize.query)
    assert (query["client_id"], query["response_type"], query["acr_values"]) == (
        [provider.client_id],
        ["code"],
        ["LoA1"],
    )
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    at_provider = requests.get(started.url, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_a_new_citizen_signs_in_and_gets_an_account(client, configured):
    response = run_flow(client, configured)
    assert (response.status_code, response.url) == (302, "/ho-so-cua-toi/")
    user = User.objects.get()
    assert client.session[SESSION_KEY] == str(user.pk)
    assert (user.username, user.kind, user.full_name, user.phone, user.email) == (
        "066090001234",
        "citizen",
        "Nguyễn Văn An",
        "0912345678",
        "an.nguyen@example.com",
    )
    assert not user.has_usable_password()
    citizen = Citizen.objects.get()
    assert (citizen.user, citizen.personal_id, citizen.date_of_birth, citizen.sex) == (
        user,
        "066090001234",
        date(1990, 5, 12),
        "male",
    )
    record = AuditRecord.objects.get()
    assert (record.action, record.changes["source"]) == (
        "people.citizen_registered",
        [None, "oidc"],
    )
    assert client.get("/api/v1/people/me").json() == {
        "username": "066090001234",
        "kind": "citizen",
        "display_name": "Nguyễn Văn An",
        "roles": [],
    }
    assert configured.requests == [
        "GET /authorize",
        "POST /token",
        "GET /jwks",
        "GET /userinfo",
    ]


def test_an_existing_citizen_is_found_by_personal_id(client, configured, make_citizen):
    existing = make_citizen(phone="0987654321", email="khac@example.com")
    before = (User.objects.count(), AuditRecord.objects.count())
    run_flow(client, configured)
    assert client.session[SESSION_KEY] == str(existing.pk)
    assert (User.objects.count(), AuditRecord.objects.count()) == before


def test_a_citizen_on_record_without_an_account_is_linked(client, configured):
    on_record = Citizen.objects.create(personal_id="066090001234", full_name="Nguyễn Văn An")
    run_flow(client, configured)
    on_record.refresh_from_db()
    assert on_record.user is not None
    assert client.session[SESSION_KEY] == str(on_record.user.pk)
    assert Citizen.objects.count() == 1


def test_the_endpoints_are_discovered_from_the_issuer(client, discovered):
    html = client.get("/dang-nhap/").content.decode()
    assert "Đăng nhập bằng tài khoản định danh điện tử (VNeID)" in html
    response = run_flow(client, discovered, start="/dang-nhap/vneid/")
    assert response.url == "/ho-so-cua-toi/"
    assert client.session[SESSION_KEY] == str(User.objects.get(username="066090001234").pk)
    assert discovered.requests == [
        "GET /.well-known/openid-configuration",
        "GET /authorize",
        "POST /token",
        "GET /jwks",
        "GET /userinfo",
    ]


def test_a_tampered_id_token_is_refused_and_nothing_is_created(client, configured, caplog):
    configured.tamper = True
    response = run_flow(client, configured)
    assert "ID token refused: Signature verification failed" in caplog.text
    assert (response.status_code, response.url) == (302, "/dang-nhap/")
    assert SESSION_KEY not in client.session
    assert (User.objects.count(), Citizen.objects.count(), AuditRecord.objects.count()) == (
        0,
        0,
        0,
    )
    page = client.get(response.url).content.decode()
    assert "Đăng nhập bằng tài khoản định danh điện tử không thành công." in page


def test_an_id_token_for_another_client_is_refused(client, configured, caplog):
    configured.audience = "another-portal"
    response = run_flow(client, configured)
    assert "ID token refused: Audience doesn't match" in caplog.text
    assert response.url == "/dang-nhap/"
    assert SESSION_KEY not in client.session
    assert User.objects.count() == 0


def test_an_invalid_personal_id_claim_is_refused(client, configured):
    configured.claims["personal_id"] = "003090001234"
    response = run_flow(client, configured)
    assert response.url == "/dang-nhap/"
    assert User.objects.count() == 0
    assert str(oidc.NO_PERSONAL_ID) in client.get("/dang-nhap/").content.decode()


def test_an_official_account_is_refused_through_oidc(client, configured, make_official):
    official = make_official("066090001234")
    response = run_flow(client, configured)
    assert response.url == "/dang-nhap/"
    assert SESSION_KEY not in client.session
    assert list(User.objects.all()) == [official]
    assert str(oidc.OFFICIAL_REFUSED) in client.get("/dang-nhap/").content.decode()


def test_oidc_is_off_without_an_issuer(client, settings):
    settings.OIDC_ISSUER = ""
    assert client.get("/dang-nhap/vneid/").status_code == 404
    assert "VNeID" not in client.get("/dang-nhap/").content.decode()


def test_an_unreachable_provider_gives_a_message_not_an_error(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing listens
    for name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS"):
        setattr(settings, f"OIDC_OP_{name}_ENDPOINT", "")
    oidc.clear_discovery_cache()
    response = client.get("/dang-nhap/vneid/")
    assert (response.status_code, response.url) == (302, "/dang-nhap/")
    assert str(oidc.UNAVAILABLE) in client.get("/dang-nhap/").content.decode()


def test_a_password_sign_in_never_calls_the_provider(client, configured, make_citizen):
    make_citizen()
    client.post(
        "/dang-nhap/?code=x&state=y", {"username": "0912345678", "password": "sai-mat-khau-1"}
    )
    assert configured.requests == []
