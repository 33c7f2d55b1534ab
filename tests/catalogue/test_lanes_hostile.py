"""Hostile input on the lean lane's paths (tinhso.core.lanes, issue 12), through the real
`tinhso.wsgi.application`: whichever lane a request takes, it answers what the full stack
answers (status, headers, body; the CSRF token, random per answer, aside) and never a 5xx.
Malformed JSON, an over-long body, bad query parameters, unknown codes and paths, invalid
Open311 parameters, bytes that are not UTF-8, HEAD on GET-only views (Django's bare 405,
turned into a page), cookie names that merely contain the session cookie's name."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from tinhso.core import lanes

from .test_lanes import call, environ

pytestmark = pytest.mark.django_db

LIMIT = 64 * 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE for these tests: an over-long body stays cheap
BIG = b'{"code": "' + b"A" * (LIMIT + 10) + b'", "secret": "x"}'
LOOKUP = "/api/v1/dossiers/lookup"
# what differs between two answers by design: the CSRF token (random), and the cookie's
# expiry (a second later when the two calls straddle a second: a flaky failure otherwise)
TOKEN = re.compile(rb'(csrfmiddlewaretoken" value=")[^"]+|(csrftoken=)[^;]+|(expires=)[^;]+')


@pytest.fixture
def application() -> Iterator[lanes.Application]:
    from tinhso.wsgi import application

    # as Django's test client: the test's transaction must outlive each request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT):
            yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _same(text: str | bytes) -> bytes:
    raw = text if isinstance(text, bytes) else text.encode("latin-1")
    return TOKEN.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + b"~", raw)


CASES = [
    # the catalogue
    ("GET", "/api/v1/procedures", "limit=abc", b""),
    ("GET", "/api/v1/procedures", "limit=-1&offset=-5", b""),
    ("GET", "/api/v1/procedures", "offset=99999999999999999999999", b""),
    ("GET", "/api/v1/procedures", "q=" + "%E1%BB%87" * 3000, b""),
    ("GET", "/api/v1/procedures", "q=%ff%fe%00", b""),
    ("GET", "/api/v1/procedures", "q=%ff%fe", b""),
    ("GET", "/api/v1/procedures", "level=%3Cscript%3E&online_type=9", b""),
    ("GET", "/api/v1/procedures/", "", b""),
    ("GET", "/api/v1/procedures/nope", "", b""),
    ("GET", "/api/v1/procedures/%3Cscript%3E", "", b""),
    ("GET", "/api/v1/procedures/" + "9" * 5000, "", b""),
    ("GET", "/api/v1/procedures/1.001193/", "", b""),
    ("GET", "/api/v1/procedures/1.001193/anything", "", b""),
    ("GET", "/api/v1/proceduresX", "", b""),
    ("GET", "/api/v1/procedures/\xff\xfe", "", b""),  # WSGI: the path's bytes as latin-1
    ("HEAD", "/api/v1/procedures/1.001193", "", b""),
    ("HEAD", "/api/v1/procedures", "limit=abc", b""),
    # Open311
    ("GET", "/open311/v2/requests.json", "start_date=yesterday", b""),
    ("GET", "/open311/v2/requests.json", "start_date=2026-01-01&end_date=2025-01-01", b""),
    ("GET", "/open311/v2/requests.json", "page_size=0", b""),
    ("GET", "/open311/v2/requests.json", "page_size=abc&after=zz", b""),
    ("GET", "/open311/v2/requests.json", "status=half-open", b""),
    ("GET", "/open311/v2/requests.json", "service_request_id=1,a,%00", b""),
    (
        "GET",
        "/open311/v2/requests.json",
        "service_code=" + ",".join(f"c{i}" for i in range(30)),
        b"",
    ),
    ("GET", "/open311/v2/requests.xml", "service_code=a,b&start_date=%ff", b""),
    ("GET", "/open311/v2/requests.php", "", b""),
    ("GET", "/open311/v2/requests/abc.json", "", b""),
    ("GET", "/open311/v2/requests/99999999.xml", "", b""),
    ("GET", "/open311/v2/services/nope.json", "", b""),
    ("GET", "/open311/v2/tokens/%3Cscript%3E.json", "", b""),
    ("GET", "/open311/v2/tokens/\xff.json", "", b""),
    ("GET", "/open311/v2/services/a.b.json", "", b""),
    # the public look-up
    ("POST", LOOKUP, "", b"{not json"),
    ("POST", LOOKUP, "", b"[]"),
    ("POST", LOOKUP, "", b"null"),
    ("POST", LOOKUP, "", b'{"code": "X-1"}'),
    ("POST", LOOKUP, "", b'{"code": "X-1\\u0000", "secret": "ABCDEFGHJK"}'),
    ("POST", LOOKUP, "", b'{"code": "\xff\xfe", "secret": "ABCDEFGHJK"}'),
    ("POST", LOOKUP, "", b'{"code": "' + b"\xe1\xbb\x87" * 100_000 + b'", "secret": "x"}'),
    ("POST", LOOKUP, "", BIG),
]


# Answered with the site's HTML page (Django's 404, a GET-only view's 405): the full stack,
# whose CSRF middleware sets the cookie that goes with the page's language form.
PAGES = [
    ("GET", "/open311/v2/", "", b""),
    ("GET", "/open311/v2/nothing-here", "", b""),
    ("GET", "/open311/v2/requests.json/", "", b""),
    ("GET", "/open311/v2/services/n%C3%B4.json", "", b""),
    ("GET", "/open311/v2/\xff", "", b""),
    ("HEAD", "/open311/v2/services.json", "", b""),
    ("HEAD", "/open311/v2/requests.json", "", b""),
]


@pytest.mark.parametrize(("method", "path", "query", "body"), CASES + PAGES)
def test_hostile_input_answers_as_the_full_stack(
    application, civil_status, method, path, query, body
):
    if (method, path, query, body) in PAGES:
        assert not lanes.lean(environ(method, path, body))
    else:
        assert lanes.lean(environ(method, path, body))
    full = call(application.full, environ(method, path, body, query=query))
    answer = call(application, environ(method, path, body, query=query))

    assert not full[0].startswith("5"), full
    assert answer[0] == full[0], (answer, full)
    # The lean lane says Vary: Cookie on every answer; the full stack's edge refusals (before
    # its session middleware) do not. Saying it more is harmless; saying it less is not.
    headers = {name: _same(value) for name, value in answer[1]}
    expected = {name: _same(value) for name, value in full[1]}
    assert b"Cookie" in headers.pop("Vary", b"")
    assert b"Cookie" in expected.pop("Vary", b"Cookie")
    assert headers == expected
    assert _same(answer[2]) == _same(full[2])


def test_a_page_with_a_form_sets_the_cookie_its_token_needs(application, civil_status):
    """An address under /open311/v2/ that no view answers is the site's 404 page, with the
    language form; its CSRF token is refused unless the cookie comes with it."""
    status, headers, body = call(application, environ("GET", "/open311/v2/nothing-here"))

    assert status.startswith("404")
    assert b"csrfmiddlewaretoken" in body
    assert any(
        name == "Set-Cookie" and value.strip().startswith(settings.CSRF_COOKIE_NAME + "=")
        for name, value in headers
    )


def test_an_over_long_json_body_is_a_413_not_a_500(application, civil_status):
    status, _headers, body = call(application, environ("POST", LOOKUP, BIG))

    assert status.startswith("413"), body


@pytest.mark.parametrize(
    "cookie",
    [
        f"x{settings.SESSION_COOKIE_NAME}=1",
        f"{settings.SESSION_COOKIE_NAME}_other=1",
        f"django_language=en; {settings.SESSION_COOKIE_NAME}=abc",
        f"django_language=en;{settings.SESSION_COOKIE_NAME}=abc",
        f" {settings.SESSION_COOKIE_NAME} = abc ",
    ],
)
def test_any_cookie_naming_the_session_takes_the_full_stack(cookie):
    """Erring towards the full stack is harmless; a real session cookie must never be lean."""
    assert not lanes.lean(environ("GET", "/api/v1/procedures", cookie=cookie))
