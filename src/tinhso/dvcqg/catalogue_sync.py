"""The province's procedure catalogue kept in step with the national procedure database.

Legal source: Decree 63/2010/NĐ-CP and Decree 92/2017/NĐ-CP (procedures are published on the
national database; the province's list follows it) and Decision 766/QĐ-TTg indicators 1.1-1.3
(procedures published and updated on time): the province must notice what changed nationally.

`run(source)` reads the source (`TINHSO_CATALOGUE_SOURCE_URL`: an http(s) address answering a
JSON list of the portal's procedure records `{code, data}`, or a file or folder of them),
parses each record with the catalogue's importer (`catalogue.importer.parse_record`, the same
mapping as `tinhso catalogue import`), and compares it with the catalogue:

- new: no procedure with that code;
- changed: the published version's content differs (the importer's content hash);
- withdrawn: a procedure that came from the national database (`source_id` set), still
  offered, that the source no longer lists (only when the source listed at least one record).

Each is kept as a `CatalogueChange` waiting for an administrator, who publishes it through
the importer's own save (`catalogue.actions.save_procedure`, or `set_active(False)` for a
withdrawal) with `publish`, or sets it aside with `dismiss`. **Nothing is published by the
sync.** A run that finds what is already waiting changes nothing; a newer record replaces a
waiting one (the older is marked superseded).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.catalogue import actions as catalogue_actions
from tinhso.catalogue import importer
from tinhso.catalogue.models import Procedure
from tinhso.core import audit
from tinhso.dvcqg import actions as dvcqg_actions
from tinhso.dvcqg.models import CatalogueChange

TIMEOUT = (5.0, 60.0)


class SourceError(Exception):
    """The source could not be read (a Vietnamese message)."""


@dataclass
class CatalogueReport:
    source: str
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    waiting: int = 0  # changes waiting for an administrator after this run

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_source(source: str) -> list[dict[str, Any]]:
    """The records at `source`: an http(s) address answering a JSON list of records (or one
    record, or `{"records": [...]}`), or a file (JSON, or JSON Lines) or a folder of them."""
    if urlparse(source).scheme in ("http", "https"):
        try:
            response = requests.get(source, timeout=TIMEOUT)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SourceError(f"Không đọc được nguồn danh mục {source}: {exc}") from exc
        return _records(body)
    path = Path(source.removeprefix("file://"))
    records: list[dict[str, Any]] = []
    try:
        for file in importer.iter_files(path) if path.is_dir() else [path]:
            text = file.read_text(encoding="utf-8")
            if file.suffix == ".jsonl":
                records += [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                records += _records(json.loads(text))
    except (OSError, ValueError) as exc:
        raise SourceError(f"Không đọc được nguồn danh mục {source}: {exc}") from exc
    return records


def _records(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("records"), list):
        body = body["records"]
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        raise SourceError("Nguồn danh mục không trả danh sách bản ghi thủ tục.")
    return [r for r in body if isinstance(r, dict)]


def run(source: str | None = None) -> CatalogueReport:
    source = source or settings.CATALOGUE_SOURCE_URL
    if not source:
        raise SourceError("Chưa cấu hình nguồn danh mục (TINHSO_CATALOGUE_SOURCE_URL).")
    report = CatalogueReport(source=source)
    seen: set[str] = set()
    for record in read_source(source):
        if not importer._looks_like_record(record):
            continue
        label = str((record.get("data") or {}).get("code", "?"))
        try:
            parsed = importer.parse_record(record)
            digest = catalogue_actions._checked(parsed.spec).content_hash()
        except Exception as exc:  # a record the importer refuses: reported, the rest go on
            report.failed.append((label, importer._reason(exc)))
            continue
        seen.add(parsed.code)
        procedure = (
            Procedure.objects.filter(code=parsed.code).select_related("current_version").first()
        )
        if procedure is None:
            kind = CatalogueChange.Kind.NEW
        elif procedure.current_version is None or procedure.current_version.content_hash != digest:
            kind = CatalogueChange.Kind.CHANGED
        else:
            report.unchanged += 1
            _supersede_waiting(parsed.code)  # in step again: nothing left to publish
            continue
        _stage(parsed.code, parsed.spec.name, kind, record, digest)
        (report.new if kind == CatalogueChange.Kind.NEW else report.changed).append(parsed.code)
    if seen:
        gone = (
            Procedure.objects.filter(is_active=True)
            .exclude(source_id="")
            .exclude(code__in=seen)
            .order_by("code")
        )
        for procedure in gone:
            _stage(procedure.code, procedure.name, CatalogueChange.Kind.WITHDRAWN, None, "")
            report.withdrawn.append(procedure.code)
    report.waiting = CatalogueChange.objects.filter(state=CatalogueChange.State.WAITING).count()
    return report


def _supersede_waiting(code: str) -> None:
    CatalogueChange.objects.filter(code=code, state=CatalogueChange.State.WAITING).update(
        state=CatalogueChange.State.SUPERSEDED, decided_at=timezone.now()
    )


def _stage(code: str, name: str, kind: str, record: Any, digest: str) -> None:
    with transaction.atomic():
        waiting = (
            CatalogueChange.objects.select_for_update()
            .filter(code=code, state=CatalogueChange.State.WAITING)
            .first()
        )
        if waiting is not None:
            if waiting.kind == kind and waiting.content_hash == digest:
                return
            waiting.state = CatalogueChange.State.SUPERSEDED
            waiting.decided_at = timezone.now()
            waiting.save(update_fields=["state", "decided_at"])
        change = CatalogueChange.objects.create(
            code=code, name=name[:500], kind=kind, record=record, content_hash=digest
        )
        audit.record(
            "dvcqg.catalogue_change_found",
            change,
            actor=None,
            changes={"kind": [None, kind], "code": [None, code]},
        )


class ChangeRefused(Exception):
    """Why a change cannot be published or set aside (a Vietnamese message)."""


def _waiting(change_id: int) -> CatalogueChange:
    change = CatalogueChange.objects.select_for_update().filter(pk=change_id).first()
    if change is None:
        raise ChangeRefused(f"Không có thay đổi #{change_id}.")
    if change.state != CatalogueChange.State.WAITING:
        raise ChangeRefused(f"Thay đổi #{change_id} không còn chờ công bố.")
    return change


def publish(change_id: int, *, actor: Any) -> CatalogueChange:
    """Công bố thay đổi: the provincial IT administrator applies it through the catalogue's
    importer (a new or changed procedure is saved and published as `tinhso catalogue import`
    would; a withdrawn one stops being offered). Audited `dvcqg.catalogue_change_published`."""
    if not dvcqg_actions.may_manage_sync(actor):
        raise dvcqg_actions.NotPermitted("Chỉ quản trị hệ thống cấp tỉnh được công bố thay đổi.")
    with transaction.atomic():
        change = _waiting(change_id)
        if change.kind == CatalogueChange.Kind.WITHDRAWN:
            procedure = Procedure.objects.filter(code=change.code).first()
            if procedure is not None:
                catalogue_actions.set_active(procedure, False, actor=actor)
        else:
            parsed = importer.parse_record(change.record or {})
            catalogue_actions.save_procedure(
                code=parsed.code,
                field_code=parsed.field_code,
                field_name=parsed.field_name,
                spec=parsed.spec,
                actor=actor,
                levels=parsed.levels,
                source_id=parsed.source_id,
                source_updated_at=parsed.source_updated_at,
            )
        _decide(change, CatalogueChange.State.PUBLISHED, actor, "dvcqg.catalogue_change_published")
    return change


def dismiss(change_id: int, *, actor: Any) -> CatalogueChange:
    """Bỏ qua thay đổi (the province does not take it over); audited."""
    if not dvcqg_actions.may_manage_sync(actor):
        raise dvcqg_actions.NotPermitted("Chỉ quản trị hệ thống cấp tỉnh được bỏ qua thay đổi.")
    with transaction.atomic():
        change = _waiting(change_id)
        _decide(change, CatalogueChange.State.DISMISSED, actor, "dvcqg.catalogue_change_dismissed")
    return change


def _decide(change: CatalogueChange, state: str, actor: Any, action: str) -> None:
    change.state = state
    change.decided_at = timezone.now()
    change.decided_by = actor
    change.save(update_fields=["state", "decided_at", "decided_by"])
    audit.record(
        action, change, actor=actor, changes={"state": [CatalogueChange.State.WAITING, state]}
    )
