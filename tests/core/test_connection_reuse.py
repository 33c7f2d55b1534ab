"""The database connection outlives a request (issue 12): opening one per request cost more
than a whole hot API request on SQLite (the init pragmas, WAL's shared memory, Django's SQL
functions), and a new PostgreSQL connection costs a backend's start-up."""

from __future__ import annotations

import io
import sys

import pytest
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection


def _get(app, path: str) -> str:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    statuses: list[str] = []
    b"".join(app(environ, lambda status, headers, *exc: statuses.append(status)))
    return statuses[0]


def test_every_database_keeps_its_connections_for_a_minute():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60


@pytest.mark.django_db(transaction=True)
def test_two_requests_through_the_wsgi_handler_share_one_connection():
    # Django's test client holds connections open by itself; the WSGI handler is what
    # gunicorn calls, with the request_finished signal that closes an expired connection.
    app = get_wsgi_application()
    connection.close()  # the next is opened as the settings say

    assert _get(app, "/api/v1/health").startswith("200")
    first = connection.connection
    assert first is not None
    assert _get(app, "/api/v1/health").startswith("200")

    assert connection.connection is first
