"""Citizens sign in through an OpenID Connect provider (VNeID, via the national portal's SSO).

The provider is an external system: every call has a timeout, and failures become a refused
sign-in with a message, never an error page. Off while `OIDC_ISSUER` is empty. When the
`OIDC_OP_*` endpoints are not set they are read from the issuer's discovery document
(`/.well-known/openid-configuration`) at first use and kept for an hour.

The ID token is checked for signature (the provider's JWKS), algorithm, issuer, audience
(our client id), expiry and nonce. The citizen is found by the personal identification
number claim (`OIDC_CLAIM_PERSONAL_ID`); an unknown number gets an account. Officials never
sign in this way: they need a password and a TOTP code.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from tinhso.core.identifiers import InvalidIdentifier, validate_personal_id
from tinhso.people import actions
from tinhso.people.models import User

log = logging.getLogger("tinhso.people.oidc")

DISCOVERY_TIMEOUT = 5  # seconds, for the discovery document
HTTP_TIMEOUT = 10  # seconds, for token, JWKS and userinfo calls (OIDC_TIMEOUT overrides)
DISCOVERY_TTL = 3600  # seconds a discovery document is reused
CLOCK_LEEWAY = 60  # seconds of clock difference tolerated on exp / iat

FAILED = gettext_lazy(
    "Đăng nhập bằng tài khoản định danh điện tử không thành công. Vui lòng thử lại."
)
UNAVAILABLE = gettext_lazy(
    "Hệ thống định danh điện tử tạm thời không kết nối được. Vui lòng thử lại sau hoặc đăng "
    "nhập bằng số điện thoại, email."
)
OFFICIAL_REFUSED = gettext_lazy(
    "Tài khoản cán bộ, công chức không đăng nhập bằng định danh điện tử: hãy dùng tên đăng "
    "nhập, mật khẩu và mã xác thực."
)
NO_PERSONAL_ID = gettext_lazy(
    "Tài khoản định danh điện tử không cung cấp số định danh cá nhân hợp lệ."
)


class OIDCUnavailable(Exception):
    """The provider could not be reached or answered nonsense. Retryable."""


@dataclass(frozen=True)
class ProviderConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovered_lock = threading.Lock()


def is_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def clear_discovery_cache() -> None:
    with _discovered_lock:
        _discovered.clear()


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, fetched once an hour."""
    with _discovered_lock:
        cached = _discovered.get(issuer)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL:
            return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(
            url,
            timeout=DISCOVERY_TIMEOUT,
            verify=getattr(settings, "OIDC_VERIFY_SSL", True),
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OIDCUnavailable(f"discovery at {url} failed: {exc}") from exc
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip(
        "/"
    ) != issuer.rstrip("/"):
        raise OIDCUnavailable(f"discovery at {url} names another issuer")
    with _discovered_lock:
        _discovered[issuer] = (time.monotonic(), document)
    return document


def provider_configuration() -> ProviderConfiguration:
    """Endpoints from the OIDC_OP_* settings, the missing ones from discovery."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        raise OIDCUnavailable("OIDC_ISSUER is not set")
    values = {
        "issuer": issuer,
        "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
        "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
    }
    missing = [key for key, value in values.items() if not value]
    if missing:
        document = discover(issuer)
        values["issuer"] = str(document["issuer"])
        for key in missing:
            values[key] = str(document.get(key) or "")
        if not values["userinfo_endpoint"]:
            values["userinfo_endpoint"] = ""  # optional: the ID token's claims are used
        absent = [k for k, v in values.items() if not v and k != "userinfo_endpoint"]
        if absent:
            raise OIDCUnavailable(f"discovery document lacks {', '.join(absent)}")
    return ProviderConfiguration(**{key: str(value) for key, value in values.items()})


def _birthdate(value: Any) -> date | None:
    text = str(value or "").strip()
    for parse in (date.fromisoformat, lambda s: datetime.strptime(s, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def personal_id_from_claims(claims: dict[str, Any]) -> str:
    return str(claims.get(settings.OIDC_CLAIM_PERSONAL_ID) or "").strip()


def username_for_claims(email: str | None, claims: dict[str, Any] | None = None) -> str:
    """Citizens' user names are their personal ID numbers (as on the national portal)."""
    return personal_id_from_claims(claims or {})


class CitizenOIDCBackend(OIDCAuthenticationBackend):
    """Authorization code flow for citizens; inactive when OIDC_ISSUER is empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every backend on every authenticate() call, password sign-ins
        # included: read nothing and fetch nothing here.
        self.UserModel = get_user_model()
        self.refusal = ""
        self.issuer = ""

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        if attr == "OIDC_TIMEOUT":
            return getattr(settings, "OIDC_TIMEOUT", HTTP_TIMEOUT)
        return import_from_settings(attr, *args)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Only the callback view passes a nonce; a password sign-in never reaches the provider.
        if not is_enabled() or request is None or "nonce" not in kwargs or "password" in kwargs:
            return None
        if not (request.GET.get("code") and request.GET.get("state")):
            return None
        try:
            config = provider_configuration()
        except OIDCUnavailable as exc:
            log.warning("OIDC sign-in impossible: %s", exc)
            messages.error(request, UNAVAILABLE, fail_silently=True)
            return None
        self.issuer = config.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = config.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = config.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = config.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO or "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = getattr(settings, "OIDC_RP_IDP_SIGN_KEY", None)
        try:
            user = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, ValueError, KeyError) as exc:
            log.warning("OIDC sign-in refused: %s", exc)
            user = None
        if user is None:
            messages.error(request, self.refusal or FAILED, fail_silently=True)
        return user

    def get_payload_data(self, token: bytes | str, key: Any) -> dict[str, Any]:
        """Verify the signature and the registered claims: iss, aud, exp, iat."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token unreadable: {exc}") from exc
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token algorithm {header.get('alg')!r} refused")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                leeway=CLOCK_LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        return dict(payload)

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint when there is one."""
        if not self.OIDC_OP_USER_ENDPOINT:
            return dict(payload)
        info = super().get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        return {**payload, **info}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        try:
            validate_personal_id(
                personal_id_from_claims(claims), _birthdate(claims.get("birthdate"))
            )
        except InvalidIdentifier as exc:
            log.warning("OIDC claims refused: %s", exc.message)
            self.refusal = str(NO_PERSONAL_ID)
            return False
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        number = personal_id_from_claims(claims)
        return User.objects.filter(Q(citizen__personal_id=number) | Q(username=number)).distinct()

    def create_user(self, claims: dict[str, Any]) -> User:
        return actions.ensure_citizen_account(
            personal_id=personal_id_from_claims(claims),
            full_name=str(claims.get("name") or ""),
            email=str(claims.get("email") or ""),
            phone=str(claims.get("phone_number") or ""),
            date_of_birth=_birthdate(claims.get("birthdate")),
            source="oidc",
        )

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        return user

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is not None and (user.kind != User.Kind.CITIZEN or user.requires_second_factor):
            self.refusal = str(OFFICIAL_REFUSED)
            raise SuspiciousOperation(f"official account {user.pk} refused through OIDC")
        return user


class CitizenAuthenticationRequestView(OIDCAuthenticationRequestView):
    """Start the flow: redirect to the provider's authorization endpoint (discovered if need be)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_enabled():
            raise Http404(_("Đăng nhập bằng định danh điện tử chưa được bật."))
        try:
            config = provider_configuration()
        except OIDCUnavailable as exc:
            log.warning("OIDC sign-in impossible: %s", exc)
            messages.error(request, UNAVAILABLE)
            return redirect("people:sign-in")
        self.OIDC_OP_AUTH_ENDPOINT = config.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)
