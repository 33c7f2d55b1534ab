"""The lean lane (tinhso.core.lanes, issue 12): anonymous, cookie-less API reads skip the
session, CSRF, auth, OTP, second-factor, messages and axes middleware, and answer exactly what
the full stack answers; every other request takes the full stack."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.conf import settings

from tinhso.core import lanes

pytestmark = pytest.mark.django_db


def environ(method: str, path: str, body: bytes = b"", cookie: str = "", query: str = ""):
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "203.0.113.9",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
    if cookie:
        env["HTTP_COOKIE"] = cookie
    return env


def call(handler, env) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: list = []
    body = b"".join(handler(env, lambda status, headers, *exc: seen.append((status, headers))))
    status, headers = seen[0]
    return status, sorted(headers), body


@pytest.mark.parametrize(
    ("method", "path", "cookie", "expected"),
    [
        ("GET", "/api/v1/procedures", "", True),
        ("HEAD", "/api/v1/procedures/1.001193", "", True),
        ("GET", "/open311/v2/requests.json", "django_language=en", True),
        ("POST", "/api/v1/dossiers/lookup", "", True),
        ("GET", "/api/v1/procedures", f"{settings.SESSION_COOKIE_NAME}=abc", False),
        ("POST", "/api/v1/dossiers/lookup", f"{settings.SESSION_COOKIE_NAME}=abc", False),
        ("POST", "/api/v1/dossiers", "", False),
        ("POST", "/open311/v2/requests.json", "", False),
        ("GET", "/api/v1/dossiers/000.00.03.H66-250101-0000001", "", False),
        ("GET", "/api/v1/people/me", "", False),
        ("GET", "/dang-nhap/", "", False),
        ("PUT", "/api/v1/procedures", "", False),
    ],
)
def test_only_anonymous_api_reads_take_the_lean_lane(method, path, cookie, expected):
    assert lanes.lean(environ(method, path, cookie=cookie)) is expected


def test_the_full_stack_is_left_as_it_was():
    before = list(settings.MIDDLEWARE)
    lanes.Application()
    assert before == settings.MIDDLEWARE
    assert set(before) > lanes.SKIPPED  # every skipped middleware is really in the stack


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("GET", "/api/v1/procedures", "q=dang+ky+khai+sinh", b""),
        ("GET", "/api/v1/procedures/1.001193", "", b""),
        ("GET", "/api/v1/procedures/9.999999", "", b""),
        ("GET", "/api/v1/procedures", "limit=0", b""),
        ("GET", "/open311/v2/requests.json", "", b""),
        ("GET", "/open311/v2/services.xml", "", b""),
        ("POST", "/api/v1/dossiers/lookup", "", b'{"code": "X-1", "secret": "ABCDEFGHJK"}'),
        ("POST", "/api/v1/dossiers/lookup", "", b'{"code": 1}'),
    ],
)
def test_the_lean_lane_answers_what_the_full_stack_answers(
    app, civil_status, method, path, query, body
):
    assert lanes.lean(environ(method, path, body))
    full = call(app.full, environ(method, path, body, query=query))
    lean = call(app.lean, environ(method, path, body, query=query))

    assert lean[0] == full[0]
    assert dict(lean[1]) == dict(full[1])
    assert lean[2] == full[2]
    assert full[0][:3] in {"200", "404", "422"}
    names = {name for name, _value in full[1]}
    assert {"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} <= names


def test_a_signed_in_citizens_submission_still_needs_its_csrf_token(app, civil_status, client):
    from tests import factories

    citizen = factories.citizen()
    client.force_login(citizen)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    env = environ(
        "POST", "/api/v1/dossiers", json.dumps({"procedure": "1.001193"}).encode(), cookie
    )
    env["HTTP_IDEMPOTENCY_KEY"] = "lanes-test-0001"

    assert not lanes.lean(env)
    status, _headers, body = call(app, env)
    assert status.startswith("403") or status.startswith("401"), body
