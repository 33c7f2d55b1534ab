"""The audit chain: every record linked to the one before; verify names the first break."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from tinhso.core import audit, context
from tinhso.core.models import AuditHead, AuditRecord


@pytest.fixture
def official(django_user_model):
    return django_user_model.objects.create(username="chuyenvien", kind="official")


@pytest.fixture
def five_records(official):
    with context.acting_as(official, channel="web", client_address="203.0.113.7"):
        for n in range(1, 6):
            audit.record(
                "test.changed", official, changes={"full_name": [f"Tên {n}", f"Tên {n + 1}"]}
            )
    return list(AuditRecord.objects.order_by("seq"))


@pytest.mark.django_db
def test_a_record_carries_actor_action_object_changes_time_and_address(five_records, official):
    first = five_records[0]
    assert (first.seq, first.action, first.actor, first.actor_label) == (
        1,
        "test.changed",
        official,
        "chuyenvien",
    )
    assert (first.object_type, first.object_id) == ("people.user", str(official.pk))
    assert first.changes == {"full_name": ["Tên 1", "Tên 2"]}
    assert (first.client_address, first.channel) == ("203.0.113.7", "web")
    assert first.prev_hash == audit.GENESIS
    assert [r.prev_hash for r in five_records[1:]] == [r.hash for r in five_records[:-1]]
    assert audit.verify().ok


@pytest.mark.django_db
def test_records_cannot_be_changed_or_deleted_through_the_orm(five_records):
    rec = five_records[0]
    rec.action = "forged"
    with pytest.raises(PermissionError):
        rec.save()
    with pytest.raises(PermissionError):
        rec.delete()


@pytest.mark.django_db
def test_verify_names_an_edited_record(five_records):
    AuditRecord.objects.filter(seq=3).update(changes={"full_name": ["Tên 3", "Người khác"]})
    result = audit.verify()
    assert (result.ok, result.first_bad_seq, result.message) == (False, 3, "record #3 was edited")
    with pytest.raises(CommandError, match=r"record #3 was edited"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_names_a_record_edited_with_its_hash_recomputed(five_records):
    rec = AuditRecord.objects.get(seq=2)
    rec.actor_label = "someone-else"
    new_hash = audit._digest(audit._hashed_fields(rec))
    AuditRecord.objects.filter(seq=2).update(actor_label="someone-else", hash=new_hash)
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "record #2 was edited" in result.message


@pytest.mark.django_db
def test_verify_names_a_deleted_record(five_records):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table} WHERE seq = 4")  # noqa: S608
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert result.message == "record #4 is missing (deleted): #3 is followed by #5"


@pytest.mark.django_db
def test_verify_notices_the_last_record_deleted(five_records):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table} WHERE seq = 5")  # noqa: S608
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "record #5 is missing" in result.message


@pytest.mark.django_db
def test_the_command_says_intact(five_records, capsys):
    call_command("audit", "verify")
    assert capsys.readouterr().out.strip() == "audit chain intact: 5 records"


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_record_and_the_chain_stays_whole(official):
    audit.record("test.kept", official)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled_back", official)
        raise RuntimeError("the action failed after auditing")
    audit.record("test.kept", official)
    assert list(AuditRecord.objects.values_list("seq", "action")) == [
        (1, "test.kept"),
        (2, "test.kept"),
    ]
    assert AuditHead.objects.get().seq == 2
    assert audit.verify().ok


def test_diff_keeps_only_changed_fields():
    assert audit.diff({"a": 1, "b": "x"}, {"a": 1, "b": "y", "c": None}) == {"b": ["x", "y"]}
