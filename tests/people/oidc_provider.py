"""A small but real OpenID Connect provider for tests, standing in for VNeID.

An http.server in a thread on 127.0.0.1 (random port) serving discovery, authorize (redirects
back with code and state), token (client_secret_post; an RS256 ID token with iss, aud, sub,
nonce, iat and exp), JWKS and userinfo (bearer token). Codes and access tokens are single
use. `tamper` and `audience` let a test make the provider misbehave.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

KEY_ID = "tinhso-test-key"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    claims: dict[str, Any]


@dataclass
class Provider:
    client_id: str = "tinhso-test-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    claims: dict[str, Any] = field(default_factory=dict)  # the next person to sign in
    tamper: bool = False  # change the ID token's payload after signing it
    audience: str | None = None  # put another audience in the ID token
    requests: list[str] = field(default_factory=list)  # "GET /path" as received
    issuer: str = ""
    _grants: dict[str, Grant] = field(default_factory=dict)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # --- endpoints ---------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.issuer + path

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "userinfo_endpoint": self.url("/userinfo"),
            "jwks_uri": self.url("/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}, b"unknown client or response type"
        code = secrets.token_urlsafe(16)
        self._grants[code] = Grant(
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            nonce=query.get("nonce", ""),
            claims=dict(self.claims),
        )
        location = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        return 302, {"Location": location}, b""

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "sub": grant.claims["sub"],
            "aud": self.audience or grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            **{k: v for k, v in grant.claims.items() if k != "sub"},
        }
        token = jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": KEY_ID})
        if self.tamper:
            header, _, signature = token.split(".")
            forged = {**payload, "personal_id": "001099000001", "name": "Kẻ Mạo Danh"}
            body = base64url_encode(json.dumps(forged).encode()).decode()
            token = f"{header}.{body}.{signature}"
        return token

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self._grants.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or form.get("redirect_uri") != grant.redirect_uri
        ):
            return 400, {"error": "invalid_grant"}
        access_token = secrets.token_urlsafe(24)
        self._tokens[access_token] = grant.claims
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        token = authorization.removeprefix("Bearer ").strip()
        claims = self._tokens.get(token)
        if claims is None:
            return 401, {"error": "invalid_token"}
        return 200, claims

    # --- server --------------------------------------------------------------------------
    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if not isinstance(body, bytes):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                provider.requests.append(f"GET {parts.path}")
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif parts.path == "/jwks":
                    self._send(200, provider.jwks())
                elif parts.path == "/authorize":
                    status, headers, body = provider.authorize(query)
                    self._send(status, body, headers)
                elif parts.path == "/userinfo":
                    status, payload = provider.userinfo(self.headers.get("Authorization", ""))
                    self._send(status, payload)
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                provider.requests.append(f"POST {parts.path}")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if parts.path == "/token":
                    status, payload = provider.token(form)
                    self._send(status, payload)
                else:
                    self._send(404, {"error": "not_found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
