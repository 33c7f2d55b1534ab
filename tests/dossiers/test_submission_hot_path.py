"""The API submission's round trips (issue 12): one POST /api/v1/dossiers with an e-form and
one PDF is a fixed number of statements, whatever the citizen has submitted before; a replay
of the same key is a handful of reads and writes nothing."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers.models import Dossier, DossierFile
from tinhso.payments.models import Charge

from .test_api import body, post

pytestmark = pytest.mark.django_db

# session, user, version, key, citizen (read once), components, the transaction's savepoint
# and release (the test's own transaction holds: BEGIN and COMMIT otherwise), dossier, key,
# file, event, counter, dossier update (its state and code), its audit, charge, its audit,
# both outbox messages (one INSERT). Was 31: the citizen read three times, the fee's two
# savepoints and its read-backs of the new dossier and its charges, an INSERT per message;
# then 19: the answer read back the events the submission had just written.
SUBMISSION = 18


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
    # the fee is charged in the same transaction, with its audit record
    charge = Charge.objects.get(dossier=dossier)
    assert (charge.due, charge.total, charge.state) == ("submission", 200000, "open")
    assert AuditRecord.objects.filter(
        object_id=str(charge.pk), action="payments.charge", object_type="payments.charge"
    ).exists()
    assert (dossier.fee_total, dossier.fee_status) == (200000, "unpaid")
    # both messages are written, in the order they were queued
    topics = list(
        OutboxMessage.objects.filter(created_at__gte=dossier.submitted_at)
        .order_by("pk")
        .values_list("topic", flat=True)
    )
    assert topics == ["ioc.dossier", "notify"]


def test_a_fee_table_that_cannot_price_keeps_the_submission_without_a_charge(
    client, version, citizen, caplog
):
    # a tax line is not a fee the portal collects: the table cannot price the dossier
    version.fees = [{"kind": "thue", "code": "X", "name": "Thuế", "amount": 5}]
    version.save(update_fields=["fees"])
    client.force_login(citizen)

    answer = post(client, body(), key="khoa-phi-hong-0001")

    assert answer.status_code == 201
    dossier = Dossier.objects.get(code=answer.json()["code"])
    assert dossier.state == "submitted"
    assert not Charge.objects.filter(dossier=dossier).exists()
    assert not AuditRecord.objects.filter(action="payments.charge").exists()
    assert "could not be charged" in caplog.text


def test_a_replay_writes_nothing(client, version, citizen, django_assert_max_num_queries):
    client.force_login(citizen)
    first = post(client, body(), key="khoa-lap-0001")
    counts = (Dossier.objects.count(), AuditRecord.objects.count(), OutboxMessage.objects.count())

    with django_assert_max_num_queries(8):
        again = post(client, body(), key="khoa-lap-0001")

    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]
    after = (Dossier.objects.count(), AuditRecord.objects.count(), OutboxMessage.objects.count())
    assert after == counts
