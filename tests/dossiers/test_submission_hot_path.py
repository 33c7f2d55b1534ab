"""The API submission's round trips (issue 12): one POST /api/v1/dossiers with an e-form and
one PDF is a fixed number of statements, whatever the citizen has submitted before; a replay
of the same key is a handful of reads and writes nothing."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers.models import Dossier, DossierFile

from .test_api import body, post

pytestmark = pytest.mark.django_db

# session, user, version, key, citizen x3, components, dossier, key, file, event, outbox x2,
# counter, dossier update, audit, charge read and write, its audit, the answer's reads, and
# the savepoints of the nested atomic blocks
SUBMISSION = 31


def test_a_submission_is_a_fixed_number_of_statements(
    client, version, citizen, django_assert_num_queries
):
    client.force_login(citizen)
    for i in range(3):  # earlier dossiers do not add statements
        assert post(client, body(), key=f"khoa-truoc-{i:04d}").status_code == 201

    with django_assert_num_queries(SUBMISSION):
        answer = post(client, body(), key="khoa-dem-0001")

    assert answer.status_code == 201
    dossier = Dossier.objects.get(code=answer.json()["code"])
    assert dossier.state == "submitted"
    assert DossierFile.objects.filter(dossier=dossier).count() == 1
    assert (
        AuditRecord.objects.filter(object_id=str(dossier.pk), action="dossier.submitted").count()
        == 1
    )


def test_a_replay_writes_nothing(client, version, citizen, django_assert_max_num_queries):
    client.force_login(citizen)
    first = post(client, body(), key="khoa-lap-0001")
    counts = (Dossier.objects.count(), AuditRecord.objects.count(), OutboxMessage.objects.count())

    with django_assert_max_num_queries(8):
        again = post(client, body(), key="khoa-lap-0001")

    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]
    after = (Dossier.objects.count(), AuditRecord.objects.count(), OutboxMessage.objects.count())
    assert after == counts
