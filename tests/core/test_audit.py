"""The audit trail: records written without a shared lock, sealed into a hash chain by batches
with signed, anchored checkpoints; verify names the first break of any kind."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asn1crypto import tsp
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from tinhso.core import audit, context, periodic
from tinhso.core.models import AuditCheckpoint, AuditHead, AuditRecord


@pytest.fixture(autouse=True)
def _anchor_in_tmp(settings, tmp_path):
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "anchor")
    settings.AUDIT_TSA_URL = ""


@pytest.fixture
def official(django_user_model):
    return django_user_model.objects.create(username="chuyenvien", kind="official")


def write(official, n: int, start: int = 1) -> None:
    with context.acting_as(official, channel="web", client_address="203.0.113.7"):
        for i in range(start, start + n):
            audit.record(
                "test.changed", official, changes={"full_name": [f"Tên {i}", f"Tên {i + 1}"]}
            )


@pytest.fixture
def five_records(official):
    write(official, 5)
    audit.seal()
    return list(AuditRecord.objects.order_by("seq"))


def raw(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", AuditRecord._meta.db_table), params)


def rehash_from(seq: int) -> None:
    """What an attacker with database write access does: recompute every hash from `seq` on
    and the head, so that the chain itself links up again."""
    prev = AuditRecord.objects.get(seq=seq - 1).hash if seq > 1 else audit.GENESIS
    for rec in AuditRecord.objects.filter(seq__gte=seq).order_by("seq"):
        rec.prev_hash = prev
        rec.hash = prev = audit._digest(audit._hashed_fields(rec))
        AuditRecord.objects.filter(pk=rec.pk).update(prev_hash=rec.prev_hash, hash=rec.hash)
    AuditHead.objects.filter(pk=1).update(hash=prev)


@pytest.mark.django_db
def test_a_record_is_written_unsealed_then_sealed_in_order(official):
    write(official, 2)
    assert list(AuditRecord.objects.values_list("seq", "hash")) == [(None, ""), (None, "")]
    assert AuditHead.objects.count() == 0  # nothing an action locks
    sealed = audit.seal()
    assert sealed.records == 2
    first, second = AuditRecord.objects.order_by("seq")
    assert (first.seq, first.action, first.actor, first.actor_label) == (
        1,
        "test.changed",
        official,
        "chuyenvien",
    )
    assert (first.object_type, first.object_id) == ("people.user", str(official.pk))
    assert first.changes == {"full_name": ["Tên 1", "Tên 2"]}
    assert (first.client_address, first.channel) == ("203.0.113.7", "web")
    assert (first.prev_hash, second.prev_hash) == (audit.GENESIS, first.hash)
    cp = AuditCheckpoint.objects.get()
    assert (cp.first_seq, cp.seq, cp.hash) == (1, 2, second.hash)
    assert audit.seal().records == 0
    assert AuditCheckpoint.objects.count() == 1  # nothing new, no empty checkpoint
    assert audit.verify().ok


@pytest.mark.django_db
def test_batches_follow_each_other_and_are_anchored_outside_the_database(official, settings):
    settings.AUDIT_SEAL_BATCH = 3
    write(official, 7)
    assert [audit.seal().records for _ in range(4)] == [3, 3, 1, 0]
    spans = list(AuditCheckpoint.objects.values_list("first_seq", "seq"))
    assert spans == [(1, 3), (4, 6), (7, 7)]
    anchored = audit.anchor_path().read_text().splitlines()
    assert [json.loads(line)["seq"] for line in anchored] == [3, 6, 7]
    result = audit.verify()
    assert (result.ok, result.checked, result.checkpoints) == (True, 7, 3)


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
def test_a_chain_rewritten_with_every_hash_recomputed_is_caught_by_the_checkpoint(five_records):
    """The probe's finding: edit a record, recompute every later hash and the head, and the
    chain alone verifies. The signed checkpoint (whose key is not in the database) does not."""
    AuditRecord.objects.filter(seq=2).update(actor_label="someone-else")
    rehash_from(2)
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "records #1–#5 were rewritten" in result.message


@pytest.mark.django_db
def test_verify_names_a_deleted_record(five_records):
    raw("DELETE FROM {t} WHERE seq = %s", 4)
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert result.message == "record #4 is missing (deleted): #3 is followed by #5"


@pytest.mark.django_db
def test_verify_notices_the_last_record_deleted(five_records):
    raw("DELETE FROM {t} WHERE seq = %s", 5)
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "record #5 is missing" in result.message


@pytest.mark.django_db
def test_verify_names_a_reordered_record(five_records):
    raw("UPDATE {t} SET seq = 99 WHERE seq = 2")
    raw("UPDATE {t} SET seq = 2 WHERE seq = 3")
    raw("UPDATE {t} SET seq = 3 WHERE seq = 99")
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "record #2 was edited" in result.message


@pytest.mark.django_db
def test_verify_names_a_record_inserted_at_the_end_behind_the_sealers_back(five_records, official):
    last = AuditRecord.objects.get(seq=5)
    with context.acting_as(official):
        forged = audit.record("test.forged", official)
    forged.seq, forged.prev_hash = 6, last.hash
    forged.hash = audit._digest(audit._hashed_fields(forged))
    AuditRecord.objects.filter(pk=forged.pk).update(seq=6, prev_hash=last.hash, hash=forged.hash)
    AuditHead.objects.filter(pk=1).update(seq=6, hash=forged.hash)
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "records #6–#6 are sealed but no checkpoint covers them" in result.message


@pytest.mark.django_db
def test_verify_names_a_record_inserted_in_the_middle(five_records, official):
    with context.acting_as(official):
        forged = audit.record("test.forged", official)
    AuditRecord.objects.filter(pk=forged.pk).update(seq=99)
    for seq in (5, 4, 3):
        raw("UPDATE {t} SET seq = %s WHERE seq = %s", seq + 1, seq)
    AuditRecord.objects.filter(pk=forged.pk).update(seq=3)
    AuditHead.objects.filter(pk=1).update(seq=6)
    rehash_from(3)
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == 1
    assert "rewritten" in result.message


@pytest.mark.django_db
def test_a_forged_checkpoint_is_named(five_records):
    cp = AuditCheckpoint.objects.get()
    AuditRecord.objects.filter(seq=2).update(actor_label="someone-else")
    rehash_from(2)
    AuditCheckpoint.objects.filter(pk=cp.pk).update(
        hash=AuditHead.objects.get().hash, signature="ab" * 64
    )
    result = audit.verify()
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert result.message == "checkpoint #1–#5 has a forged signature"


@pytest.mark.django_db
def test_a_checkpoint_removed_from_the_database_is_found_in_the_anchor(five_records, official):
    write(official, 2, start=6)
    audit.seal()
    AuditCheckpoint.objects.filter(seq=7).delete()
    raw("DELETE FROM {t} WHERE seq >= %s", 6)
    AuditHead.objects.filter(pk=1).update(seq=5, hash=AuditRecord.objects.get(seq=5).hash)
    result = audit.verify()
    assert not result.ok
    assert result.message.startswith("checkpoint #6–#7 is missing from the database")


@pytest.mark.django_db
def test_a_key_rotation_keeps_old_checkpoints_valid(five_records, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "n" * 30 + "ew-key-0123456789!", [old]
    assert audit.verify().ok
    settings.SECRET_KEY_FALLBACKS = []
    assert audit.verify().message == "checkpoint #1–#5 has a forged signature"


@pytest.mark.django_db
def test_the_command_seals_and_says_intact_and_how_far_sealing_lags(official, capsys):
    write(official, 3)
    call_command("audit", "seal")
    write(official, 2, start=4)
    call_command("audit", "verify")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "sealed 3 records"
    assert (
        out[1] == "audit chain intact: 3 records, chain intact, 1 checkpoints signed and anchored"
    )
    assert out[2].startswith("not yet sealed: 2 records, the oldest ")


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_record_and_the_chain_stays_whole(official):
    audit.record("test.kept", official)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled_back", official)
        raise RuntimeError("the action failed after auditing")
    audit.record("test.kept", official)
    audit.seal()
    assert list(AuditRecord.objects.values_list("seq", "action")) == [
        (1, "test.kept"),
        (2, "test.kept"),
    ]
    assert AuditHead.objects.get().seq == 2
    assert audit.verify().ok


def test_the_sealer_is_a_periodic_job_of_the_worker():
    assert periodic.JOBS["core.audit_seal"].every_seconds == 5


@pytest.mark.django_db(transaction=True)
def test_a_record_of_a_transaction_still_open_is_sealed_by_a_later_batch(official):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing is ever in flight")
    write(official, 1)
    inside, release = threading.Event(), threading.Event()

    def slow_action() -> None:
        with transaction.atomic():
            audit.record("test.slow", official)
            inside.set()
            release.wait(10)
        connections.close_all()

    worker = threading.Thread(target=slow_action)
    worker.start()
    inside.wait(10)
    write(official, 1, start=2)
    first = audit.seal()
    release.set()
    worker.join()
    second = audit.seal()
    assert (first.records, second.records) == (2, 1)
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", "action"))[-1] == (
        3,
        "test.slow",
    )
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_sixteen_connections_write_at_once_without_waiting_on_each_other(official):
    """The deadlock on the audit head (PostgreSQL, 8 clients) cannot happen: nothing shared is
    locked by writers; every record is sealed once."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    audit.record("test.concurrent", official, changes={"n": [n, i]})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    while audit.seal().records:
        pass
    assert AuditRecord.objects.filter(action="test.concurrent", seq__isnull=False).count() == 160
    assert audit.verify().ok


def _local_tsa():
    """An RFC 3161 authority on a local port: pyHanko's test responder with its own
    self-signed TSA certificate."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST TSA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(req).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.django_db
def test_checkpoints_are_timestamped_by_the_configured_authority(official, settings):
    server = _local_tsa()
    settings.AUDIT_TSA_URL = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        write(official, 2)
        audit.seal()
    finally:
        server.shutdown()
    cp = AuditCheckpoint.objects.get()
    token = tsp.ContentInfo.load(bytes(cp.timestamp_token))
    info = token["content"]["encap_content_info"]["content"].parsed
    message = audit._checkpoint_message(cp.first_seq, cp.seq, cp.hash, cp.sealed_at)
    import hashlib

    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(message).digest()


@pytest.mark.django_db
def test_an_unreachable_authority_does_not_stop_sealing(official, settings):
    settings.AUDIT_TSA_URL = "http://127.0.0.1:9/"
    write(official, 1)
    assert audit.seal().records == 1
    assert bytes(AuditCheckpoint.objects.get().timestamp_token) == b""
    assert audit.verify().ok


def test_diff_keeps_only_changed_fields():
    assert audit.diff({"a": 1, "b": "x"}, {"a": 1, "b": "y", "c": None}) == {"b": ["x", "y"]}


@pytest.mark.django_db
def test_a_removed_anchor_file_is_named_once_its_checkpoints_are_old(five_records):
    audit.anchor_path().unlink()
    assert audit.verify().ok  # just sealed: the anchor may still be on its way
    AuditCheckpoint.objects.update(sealed_at=timezone.now() - timedelta(minutes=11))
    # Re-signing is what the sealer would have done at that time; the key is the platform's.
    cp = AuditCheckpoint.objects.get()
    key = audit._signing_key(settings.SECRET_KEY)
    message = audit._checkpoint_message(cp.first_seq, cp.seq, cp.hash, cp.sealed_at)
    AuditCheckpoint.objects.filter(pk=cp.pk).update(signature=key.sign(message).hex())
    result = audit.verify()
    assert not result.ok
    assert result.message.startswith("checkpoint #1–#5 is not in the anchor file")


@pytest.mark.django_db
def test_the_anchor_file_gets_each_checkpoint_once(official):
    write(official, 2)
    audit.seal()
    assert audit.anchor_pending() == 0
    write(official, 1, start=3)
    audit.seal()
    assert [json.loads(x)["seq"] for x in audit.anchor_path().read_text().splitlines()] == [2, 3]
