"""A procedure's detail is a GET that writes (its stored answer, tinhso.catalogue.api): a
database that refuses the write (a read-only replica, a locked or read-only SQLite file)
costs the next request a render, never this answer; two misses storing the same detail at
once are one row, not an IntegrityError."""

from __future__ import annotations

import pytest
from django.db import connection

from tinhso.catalogue import api
from tinhso.catalogue.models import Generation, StoredDetail

pytestmark = pytest.mark.django_db

BIRTH = "/api/v1/procedures/1.001193"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query_only pragma")
def test_a_database_refusing_the_write_still_answers(client, civil_status, caplog):
    expected = client.get(BIRTH).content
    StoredDetail.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")  # every write now fails: a read-only file
    try:
        response = client.get(BIRTH)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")

    assert response.status_code == 200
    assert response.content == expected
    assert not StoredDetail.objects.exists()
    assert "catalogue detail not stored" in caplog.text


def test_two_misses_storing_the_same_detail_are_one_row(civil_status):
    Generation.objects.update_or_create(pk=1, defaults={"token": 7})
    api._store_detail("1.001193", "vi", "/", 7, b"{}")
    api._store_detail("1.001193", "vi", "/", 7, b'{"a": 1}')

    assert list(StoredDetail.objects.values_list("token", "content")) == [(7, b'{"a": 1}')]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single write lock")
@pytest.mark.django_db(transaction=True)
def test_a_write_held_elsewhere_does_not_hold_the_answer(client, civil_status, caplog):
    """A long write on SQLite (an import, a rebuild of the rollups) holds the one write lock;
    a detail not stored yet answers at once rather than after the connection's 20 s timeout,
    and the connection's timeout is as it was for the requests after."""
    import sqlite3
    import time

    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        response = client.get(BIRTH)
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert response.status_code == 200
    assert took < 5, took
    assert "catalogue detail not stored" in caplog.text
    assert not StoredDetail.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == connection.settings_dict["OPTIONS"]["timeout"] * 1000
    assert client.get(BIRTH).status_code == 200
    assert StoredDetail.objects.filter(code="1.001193").exists()  # stored once the lock is free


def test_a_deployment_forgets_the_stored_details(client, civil_status):
    """A stored detail outlives the process: `migrate`, run by every deployment, forgets them
    so that new code renders them again (a changed schema or label is not served stale)."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    assert client.get(BIRTH).status_code == 200
    StoredDetail.objects.update(content=b'{"rendered by": "the previous release"}')

    post_migrate.send(
        sender=apps.get_app_config("catalogue"),
        app_config=apps.get_app_config("catalogue"),
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )

    assert client.get(BIRTH).json()["code"] == "1.001193"
