"""The audit trail (nhật ký): every state change, and officials' reads of personal data.

Decree 13/2023/NĐ-CP on personal data protection asks controllers to log processing of
personal data; Decree 30/2020 and 118/2025 ask for traceable handling. Each record carries
actor, action, object, changed fields (before and after), time and client address.

Writing and chaining are separate, so no request waits for another:
- `record()` inserts the record inside the caller's transaction (a savepoint otherwise): a
  change and its record commit or roll back together, and no shared row is locked.
- `seal()` (a periodic job of the worker, and `tinhso audit seal`) takes the committed records
  not yet in the chain, in insertion order, gives each its position (`seq`) and the SHA-256 of
  the record before it, and closes the batch with a checkpoint: the batch's last position and
  hash, signed with the platform's Ed25519 key (derived from SECRET_KEY, so not in the
  database), timestamped by the configured RFC 3161 authority when there is one, and appended
  to the anchor file outside the database. A record still in an uncommitted transaction is
  invisible to the sealer and sealed by a later batch: none is skipped, none sealed twice
  (the sealer holds the head's row lock).
- `verify()` walks the sealed chain and names the first record edited, removed, inserted or
  reordered; checks every checkpoint's signature and hash against the chain and against the
  anchored copy (which catches a chain rewritten with its hashes recomputed); and reports how
  far sealing lags.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from tinhso.core import context, inserts
from tinhso.core.models import AuditCheckpoint, AuditHead, AuditRecord

log = logging.getLogger("tinhso.audit")

GENESIS = "0" * 64
READ_PERSONAL_DATA = "personal_data.read"


def _canonical(value: Any) -> Any:
    """What JSON will give back after a round trip through the database."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _digest(fields: Mapping[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _hashed_fields(rec: AuditRecord) -> dict[str, Any]:
    return {
        "seq": rec.seq,
        "at": rec.at.astimezone(UTC).isoformat(),
        "actor_id": rec.actor_id,
        "actor_label": rec.actor_label,
        "action": rec.action,
        "object_type": rec.object_type,
        "object_id": rec.object_id,
        "object_label": rec.object_label,
        "changes": rec.changes,
        "client_address": rec.client_address,
        "channel": rec.channel,
        "prev_hash": rec.prev_hash,
    }


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` now, JSON-ready, to diff against after a change."""
    return {name: _canonical(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    changed = {}
    for key in keys:
        old, new = _canonical(before.get(key)), _canonical(after.get(key))
        if old != new:
            changed[key] = [old, new]
    return changed


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    actor: Any = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditRecord:
    """Write one record for the sealer to chain. `actor` defaults to the one acting now."""
    ctx = context.current()
    actor = actor if actor is not None else ctx.actor
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    # One INSERT, in the caller's transaction when there is one (no savepoint: two statements
    # fewer on every audited action), else committed on its own.
    rec = AuditRecord(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(getattr(actor, "username", "") or actor or "")[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=str(obj)[:300] if obj is not None else "",
        changes=_canonical(dict(changes or {})),
        client_address=ctx.client_address,
        channel=ctx.channel,
    )
    inserts.insert(rec)  # every action writes one: its INSERT compiled once
    return rec


def record_read(obj: models.Model, fields: Iterable[str], *, actor: Any = None) -> AuditRecord:
    """An official looked at a person's personal data: which fields of which record."""
    return record(READ_PERSONAL_DATA, obj, actor=actor, changes={"fields": sorted(fields)})


# --- Sealing ---------------------------------------------------------------------------------

SIGNING_CONTEXT = b"tinhso audit checkpoint v1"
# A checkpoint is anchored right after its commit; one still missing from the anchor file
# after this long means the file was removed or cut, not a sealer in progress.
ANCHOR_GRACE = timedelta(minutes=10)


def _signing_key(secret: str) -> Ed25519PrivateKey:
    """The checkpoint key for one SECRET_KEY: HKDF-SHA256 with its own context, so it is
    never the Django signing key itself and never stored anywhere."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SIGNING_CONTEXT).derive(
        secret.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _verification_keys() -> dict[str, Ed25519PublicKey]:
    """Public keys of the current SECRET_KEY and its fallbacks (rotation), by key id."""
    keys = {}
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        public = _signing_key(secret).public_key()
        keys[_key_id(public)] = public
    return keys


def _checkpoint_message(first_seq: int, seq: int, digest: str, sealed_at: datetime) -> bytes:
    stamp = sealed_at.astimezone(UTC).isoformat()
    return f"tinhso-audit|{first_seq}|{seq}|{digest}|{stamp}".encode()


@dataclass(frozen=True)
class Sealed:
    records: int
    checkpoint: AuditCheckpoint | None


def seal(*, limit: int | None = None) -> Sealed:
    """Chain the committed records not yet sealed, oldest first, and close the batch with a
    signed checkpoint; then timestamp and anchor it outside the transaction."""
    limit = limit or settings.AUDIT_SEAL_BATCH
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        last = AuditCheckpoint.objects.order_by("-seq").values_list("seq", flat=True).first()
        pending = list(AuditRecord.objects.filter(seq__isnull=True).order_by("id")[:limit])
        if not pending and head.seq == (last or 0):
            return Sealed(0, None)
        seq, prev = head.seq, head.hash
        for rec in pending:
            seq += 1
            rec.seq, rec.prev_hash = seq, prev
            rec.hash = prev = _digest(_hashed_fields(rec))
        AuditRecord.objects.bulk_update(pending, ["seq", "prev_hash", "hash"], batch_size=1000)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
        sealed_at = timezone.now()
        key = _signing_key(settings.SECRET_KEY)
        first = (last or 0) + 1
        checkpoint = AuditCheckpoint.objects.create(
            seq=seq,
            first_seq=first,
            hash=prev,
            sealed_at=sealed_at,
            key_id=_key_id(key.public_key()),
            signature=key.sign(_checkpoint_message(first, seq, prev, sealed_at)).hex(),
        )
    if settings.AUDIT_TSA_URL:
        _timestamp(checkpoint)
    anchor_pending()
    return Sealed(len(pending), checkpoint)


def _timestamp(checkpoint: AuditCheckpoint) -> None:
    """Ask the RFC 3161 authority to timestamp the checkpoint (after commit: network)."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    digest = hashlib.sha256(
        _checkpoint_message(
            checkpoint.first_seq, checkpoint.seq, checkpoint.hash, checkpoint.sealed_at
        )
    ).digest()
    try:
        token = asyncio.run(
            HTTPTimeStamper(settings.AUDIT_TSA_URL, timeout=10).async_timestamp(digest, "sha256")
        )
    except Exception as exc:  # the authority down must not stop sealing; verify reports it
        log.warning("audit checkpoint #%s not timestamped: %s", checkpoint.seq, exc)
        return
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(timestamp_token=token.dump())


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR) / "checkpoints.jsonl"


def _anchor_line(cp: AuditCheckpoint) -> dict[str, Any]:
    return {
        "seq": cp.seq,
        "first_seq": cp.first_seq,
        "hash": cp.hash,
        "sealed_at": cp.sealed_at.astimezone(UTC).isoformat(),
        "key_id": cp.key_id,
        "signature": cp.signature,
    }


def _anchored() -> list[dict[str, Any]]:
    path = anchor_path()
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _last_anchored_seq(path: Path) -> int:
    """The position of the last checkpoint in the anchor file, read from its end (the file
    grows by one line a batch; it is never read whole for this)."""
    if not path.exists():
        return 0
    with path.open("rb") as f:
        f.seek(0, 2)
        end = f.tell()
        chunk = b""
        while end > 0 and chunk.count(b"\n") < 2:
            start = max(0, end - 4096)
            f.seek(start)
            chunk = f.read(end - start) + chunk
            end = start
    lines = [line for line in chunk.splitlines() if line.strip()]
    return int(json.loads(lines[-1])["seq"]) if lines else 0


def anchor_pending() -> int:
    """Append to the anchor file the checkpoints it does not hold yet (also those a crash
    between commit and append left out); how many were written. Several sealers may run at
    once (several workers): an exclusive lock on the file keeps their lines whole and single."""
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        try:
            after = _last_anchored_seq(path)
            missing = list(AuditCheckpoint.objects.filter(seq__gt=after).order_by("seq"))
            for cp in missing:
                out.write(json.dumps(_anchor_line(cp), sort_keys=True) + "\n")
            out.flush()
            os.fsync(out.fileno())
        finally:
            fcntl.flock(out, fcntl.LOCK_UN)
    return len(missing)


# --- Verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    message: str = ""
    unsealed: int = 0
    oldest_unsealed_seconds: float = 0.0
    checkpoints: int = 0


def _lag() -> tuple[int, float]:
    unsealed = AuditRecord.objects.filter(seq__isnull=True)
    oldest = unsealed.order_by("id").values_list("at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return unsealed.count(), max(age, 0.0)


def verify() -> Verification:
    """Walk the sealed chain from the first record, then the checkpoints and their anchored
    copies; stop at the first break and say what it is."""
    unsealed, age = _lag()

    def broken(checked: int, seq: int | None, message: str) -> Verification:
        return Verification(False, checked, seq, message, unsealed, age)

    head = AuditHead.objects.filter(pk=1).first()
    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    at_checkpoint = {cp.seq for cp in checkpoints}
    hash_at: dict[int, str] = {}
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    rows = AuditRecord.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)
    for rec in rows:
        if rec.seq != expected_seq:
            return broken(
                checked,
                expected_seq,
                f"record #{expected_seq} is missing (deleted): "
                f"#{expected_seq - 1} is followed by #{rec.seq}",
            )
        if rec.hash != _digest(_hashed_fields(rec)):
            return broken(checked, rec.seq, f"record #{rec.seq} was edited")
        if rec.prev_hash != prev_hash:
            bad = rec.seq - 1
            return broken(
                checked,
                bad,
                f"record #{bad} was edited (its hash no longer matches the link in #{rec.seq})",
            )
        if rec.seq in at_checkpoint:
            hash_at[rec.seq] = rec.hash
        prev_hash, expected_seq, checked = rec.hash, expected_seq + 1, checked + 1
    last = expected_seq - 1
    if head is not None and head.seq > last:
        return broken(
            checked,
            last + 1,
            f"record #{last + 1} is missing (deleted): the chain ends at #{last} "
            f"but {head.seq} records were sealed",
        )
    if head is not None and head.seq == last and head.hash != prev_hash:
        return broken(checked, last, f"record #{last} was edited")

    keys = _verification_keys()
    covered = 0
    for cp in checkpoints:
        span = f"#{cp.first_seq}–#{cp.seq}"
        public = keys.get(cp.key_id)
        message = _checkpoint_message(cp.first_seq, cp.seq, cp.hash, cp.sealed_at)
        try:
            if public is None:
                raise ValueError("unknown key")
            public.verify(bytes.fromhex(cp.signature), message)
        except Exception:
            return broken(checked, cp.first_seq, f"checkpoint {span} has a forged signature")
        if cp.first_seq != covered + 1:
            return broken(
                checked, covered + 1, f"checkpoints do not follow each other before {span}"
            )
        if hash_at.get(cp.seq) != cp.hash:
            return broken(
                checked,
                cp.first_seq,
                f"records {span} were rewritten: the chain no longer ends in the signed hash "
                f"of checkpoint {span}",
            )
        covered = cp.seq
    if last > covered:
        return broken(
            checked,
            covered + 1,
            f"records #{covered + 1}–#{last} are sealed but no checkpoint covers them "
            "(inserted behind the sealer's back)",
        )

    by_seq = {cp.seq: _anchor_line(cp) for cp in checkpoints}
    anchored = _anchored()
    last_anchored = int(anchored[-1]["seq"]) if anchored else 0
    overdue = timezone.now() - ANCHOR_GRACE
    for cp in checkpoints:
        if cp.seq > last_anchored and cp.sealed_at < overdue:
            return broken(
                checked,
                cp.first_seq,
                f"checkpoint #{cp.first_seq}–#{cp.seq} is not in the anchor file "
                f"{anchor_path()} (removed or never written)",
            )
    for line in anchored:
        seq = int(line["seq"])
        if by_seq.get(seq) != line:
            what = "is missing from" if seq not in by_seq else "differs in"
            return broken(
                checked,
                int(line["first_seq"]),
                f"checkpoint #{line['first_seq']}–#{seq} {what} the database: it was anchored "
                f"in {anchor_path()}",
            )
    return Verification(
        True,
        checked,
        None,
        f"{checked} records, chain intact, {len(checkpoints)} checkpoints signed and anchored",
        unsealed,
        age,
        len(checkpoints),
    )
