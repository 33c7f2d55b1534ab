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
