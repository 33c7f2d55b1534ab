"""The audit trail (nhật ký): every state change, and officials' reads of personal data.

Decree 13/2023/NĐ-CP on personal data protection asks controllers to log processing of
personal data; Decree 30/2020 and 118/2025 ask for traceable handling. Each record carries
actor, action, object, changed fields (before and after), time and client address, and the
SHA-256 of the previous record: `verify()` walks the chain and names the first record that was
edited or removed.

`record()` must run inside the caller's transaction (it opens a savepoint otherwise), so a
change and its record commit or roll back together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tinhso.core import context
from tinhso.core.models import AuditHead, AuditRecord

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
    """Append one record to the chain. `actor` defaults to the one acting in this context."""
    ctx = context.current()
    actor = actor if actor is not None else ctx.actor
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        rec = AuditRecord(
            seq=head.seq + 1,
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
            prev_hash=head.hash,
        )
        rec.hash = _digest(_hashed_fields(rec))
        rec.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=rec.seq, hash=rec.hash)
    return rec


def record_read(obj: models.Model, fields: Iterable[str], *, actor: Any = None) -> AuditRecord:
    """An official looked at a person's personal data: which fields of which record."""
    return record(READ_PERSONAL_DATA, obj, actor=actor, changes={"fields": sorted(fields)})


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    message: str = ""


def verify() -> Verification:
    """Walk the chain from the first record; stop at the first break and say what it is."""
    head = AuditHead.objects.filter(pk=1).first()
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    rows = AuditRecord.objects.order_by("seq").iterator(chunk_size=2000)
    for rec in rows:
        if rec.seq != expected_seq:
            return Verification(
                False,
                checked,
                expected_seq,
                f"record #{expected_seq} is missing (deleted): "
                f"#{expected_seq - 1} is followed by #{rec.seq}",
            )
        if rec.hash != _digest(_hashed_fields(rec)):
            return Verification(False, checked, rec.seq, f"record #{rec.seq} was edited")
        if rec.prev_hash != prev_hash:
            bad = rec.seq - 1
            return Verification(
                False,
                checked,
                bad,
                f"record #{bad} was edited (its hash no longer matches the link in #{rec.seq})",
            )
        prev_hash, expected_seq, checked = rec.hash, expected_seq + 1, checked + 1
    last = expected_seq - 1
    if head is not None and head.seq > last:
        return Verification(
            False,
            checked,
            last + 1,
            f"record #{last + 1} is missing (deleted): the chain ends at #{last} "
            f"but {head.seq} records were written",
        )
    if head is not None and head.seq == last and head.hash != prev_hash:
        return Verification(False, checked, last, f"record #{last} was edited")
    return Verification(True, checked, None, f"{checked} records, chain intact")
