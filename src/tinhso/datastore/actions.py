"""Every change to the data store, one named action each; each owns its transaction and
writes its audit record in it.

Legal sources: Decree 45/2020/NĐ-CP (the citizen's store; electronic results enter it; what
is held is not asked for again), Decree 13/2023/NĐ-CP and the Law on Personal Data
Protection 2025 (every official read is recorded and shown to the owner; sharing is the
owner's choice, for one named agency, for a limited time).

Files are written before the transaction opens and removed if it rolls back (no storage I/O
under a lock, no orphan left behind); a deleted upload's file is removed after commit.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from tinhso.core import audit
from tinhso.core.text import normalize
from tinhso.datastore import errors, permissions
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import (
    DocumentKind,
    DocumentShare,
    StoredDocument,
    StoredDocumentRead,
)
from tinhso.dossiers.uploads import RejectedFile, check_file, size_label
from tinhso.people.models import Citizen, Organisation

GENERIC_RESULT_KIND = "KQ-TTHC"
Owner = Citizen | Organisation


def _store_file(name: str, content: bytes) -> str:
    field = StoredDocument._meta.get_field("file")
    target = field.generate_filename(StoredDocument(), name)
    return str(field.storage.save(target, ContentFile(content), max_length=field.max_length))


def _forget(name: str) -> None:
    if name:
        StoredDocument._meta.get_field("file").storage.delete(name)


def _owner_fields(owner: Owner) -> dict[str, Any]:
    if isinstance(owner, Citizen):
        return {"citizen": owner, "organisation": None}
    return {"citizen": None, "organisation": owner}


def _checked_dates(issued_on: date | None, expires_on: date | None) -> None:
    if issued_on and expires_on and expires_on <= issued_on:
        raise DatastoreError(
            errors.DATES_INVALID, fields={"expires_on": errors.DATES_INVALID.message}
        )


def _enter(
    owner: Owner,
    *,
    kind: DocumentKind,
    provenance: str,
    file_name: str,
    content: bytes,
    actor: Any,
    action: str,
    counted: bool = False,
    **fields: Any,
) -> StoredDocument:
    """Check and store the file, then the row and its audit record in one transaction.
    `counted`: an upload, held to the owner's limits (`_check_room`) under the owner's lock."""
    file_name = normalize(file_name)[:200] or "tep"
    try:
        file_kind = check_file(file_name, content, already_in_dossier=0)
    except RejectedFile as exc:
        raise DatastoreError(
            errors.FILE_REJECTED, fields={"file": exc.message}, why=exc.message
        ) from None
    sha = hashlib.sha256(content).hexdigest()
    stored = _store_file(f"{sha[:16]}.{file_kind}", content)
    try:
        with transaction.atomic():
            if counted:
                _check_room(owner, len(content))
            document = StoredDocument.objects.create(
                **_owner_fields(owner),
                kind=kind,
                provenance=provenance,
                file=stored,
                file_name=file_name,
                file_kind=file_kind,
                size=len(content),
                sha256=sha,
                **fields,
            )
            audit.record(
                action,
                document,
                actor=actor,
                changes={
                    "document": [
                        None,
                        {"kind": kind.code, "provenance": provenance, "sha256": sha},
                    ]
                },
            )
    except BaseException:
        _forget(stored)
        raise
    return document


def _check_room(owner: Owner, size: int) -> None:
    """The owner's uploads stay within TINHSO_DATASTORE_MAX_DOCUMENTS and
    TINHSO_DATASTORE_MAX_MB. Counted under a lock on the owner's row, so two uploads at once
    cannot both take the last place. Only uploads count: issued results and digitised papers
    are the agencies' record and always enter."""
    type(owner).objects.select_for_update().filter(pk=owner.pk).first()
    totals = StoredDocument.objects.filter(
        **{"citizen" if isinstance(owner, Citizen) else "organisation": owner},
        provenance=StoredDocument.Provenance.UPLOADED,
    ).aggregate(count=Count("pk"), size=Sum("size"))
    most = int(settings.DATASTORE_MAX_DOCUMENTS)
    if totals["count"] + 1 > most:
        message = str(errors.STORE_FULL.message).format(most=most)
        raise DatastoreError(errors.STORE_FULL, fields={"file": message}, most=most)
    most_bytes = int(settings.DATASTORE_MAX_BYTES)
    if (totals["size"] or 0) + size > most_bytes:
        label = size_label(most_bytes)
        message = str(errors.STORE_TOO_LARGE.message).format(most=label)
        raise DatastoreError(errors.STORE_TOO_LARGE, fields={"file": message}, most=label)


def _citizen_of(user: Any) -> Citizen:
    citizen = Citizen.objects.filter(user=user).first() if getattr(user, "pk", None) else None
    if citizen is None:
        raise DatastoreError(errors.NO_STORE)
    return citizen


def upload(
    *,
    user: Any,
    kind: DocumentKind | None,
    file_name: str,
    content: bytes,
    number: str = "",
    issuer_name: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
    organisation: Organisation | None = None,
) -> StoredDocument:
    """Tải giấy tờ lên kho: the citizen adds a document of their own (no signature), to
    their own store or, as a member, to `organisation`'s (STORE_NOT_FOUND otherwise)."""
    owner: Owner
    if organisation is None:
        owner = _citizen_of(user)
    elif permissions.organisations_of(user).filter(pk=organisation.pk).exists():
        owner = organisation
    else:
        raise DatastoreError(errors.STORE_NOT_FOUND)
    if kind is None:
        raise DatastoreError(errors.KIND_REQUIRED, fields={"kind": errors.KIND_REQUIRED.message})
    _checked_dates(issued_on, expires_on)
    return _enter(
        owner,
        kind=kind,
        provenance=StoredDocument.Provenance.UPLOADED,
        file_name=file_name,
        content=content,
        actor=user,
        action="datastore.uploaded",
        counted=True,
        number=normalize(number)[:100],
        issuer_name=normalize(issuer_name)[:300],
        issued_on=issued_on,
        expires_on=expires_on,
        signature=StoredDocument.Signature.NONE,
    )


def digitise(
    citizen: Citizen,
    *,
    officer: Any,
    kind: DocumentKind,
    file_name: str,
    content: bytes,
    number: str = "",
    issuer_name: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
    certified: bool = True,
    source_dossier_code: str = "",
) -> StoredDocument:
    """Số hóa tại quầy: an officer scans a paper the citizen brought and, if they compared it
    with the original, certifies the copy (`content` is then the PDF they signed:
    `dossiers/actions/digitisation.py`, the counter dossier page's "Số hóa"). The dossier it
    was handed in with is kept in `source_dossier_code`."""
    _checked_dates(issued_on, expires_on)
    return _enter(
        citizen,
        kind=kind,
        provenance=StoredDocument.Provenance.DIGITISED,
        file_name=file_name,
        content=content,
        actor=officer,
        action="datastore.digitised",
        number=normalize(number)[:100],
        issuer_name=normalize(issuer_name)[:300],
        issued_on=issued_on,
        expires_on=expires_on,
        digitised_by=officer,
        source_dossier_code=source_dossier_code[:40],
        signature=(
            StoredDocument.Signature.CERTIFIED_COPY if certified else StoredDocument.Signature.NONE
        ),
    )


def add_from_national_store(
    owner: Owner,
    *,
    kind: DocumentKind,
    file_name: str,
    content: bytes,
    national_ref: str,
    number: str = "",
    issuer_name: str = "",
    issued_on: date | None = None,
    actor: Any = None,
) -> StoredDocument:
    """A paper fetched from the national data store (GetKetQuaGiayTo, then GetGiayToByUrl):
    kept with the URL it came from. The national portal's adapter is a later slice."""
    return _enter(
        owner,
        kind=kind,
        provenance=StoredDocument.Provenance.NATIONAL_STORE,
        file_name=file_name,
        content=content,
        actor=actor,
        action="datastore.from_national_store",
        number=normalize(number)[:100],
        issuer_name=normalize(issuer_name)[:300],
        issued_on=issued_on,
        national_ref=national_ref[:500],
    )


def _result_kind(name: str) -> DocumentKind:
    wanted = normalize(name).casefold()
    for kind in DocumentKind.objects.all():
        if kind.name.casefold() == wanted:
            return kind
    kind, _ = DocumentKind.objects.get_or_create(
        code=GENERIC_RESULT_KIND,
        defaults={"name": "Kết quả giải quyết thủ tục hành chính"},
    )
    return kind


def _owner_citizen(dossier: Any) -> Citizen | None:
    """The store a dossier's results enter: the owner's own verified citizen record (the
    account's `Citizen`), whatever personal ID was typed on the dossier."""
    if not dossier.owner_id:
        return None
    return Citizen.objects.filter(user_id=dossier.owner_id).first()


def add_result(dossier: Any) -> list[StoredDocument]:
    """Đưa kết quả điện tử vào kho: each electronic result of `dossier`, entered once into
    the store of the dossier's owner (the account that filed it, which already sees the
    dossier and its result), with provenance "result of dossier X". The file is the result's
    own (not copied). Running it again enters nothing twice; an owner with no citizen record
    enters nothing.

    The typed applicant ID (`applicant_personal_id`) chooses nothing: it reaches the
    applicant's store only when it is the owner's own citizen record, i.e. the same store.
    A counter typo or a dossier filed on behalf names someone whose account never saw the
    dossier; entering the result there would hand that person another's personal data,
    which they could download and share (docs/datastore.md)."""
    from tinhso.dossiers.models import DossierResult

    citizen = _owner_citizen(dossier)
    if citizen is None:
        return []
    from tinhso.verify.models import ElectronicResult

    entered = []
    with transaction.atomic():
        results = DossierResult.objects.filter(dossier=dossier).order_by("pk")
        # The seal is not re-verified here (this runs inside the outbox's transaction and a
        # CRL or OCSP fetch may reach the network): the outcome recorded when the result was
        # sealed (verify.ElectronicResult.signature_valid) decides "agency_verified".
        sealed = set(
            ElectronicResult.objects.filter(result__in=results, signature_valid=True).values_list(
                "result_id", flat=True
            )
        )
        known = set(
            StoredDocument.objects.filter(source_result__in=results).values_list(
                "source_result_id", flat=True
            )
        )
        for result in results:
            if result.pk in known:
                continue
            document = StoredDocument.objects.create(
                citizen=citizen,
                kind=_result_kind(dossier.version.result_name or result.name),
                provenance=StoredDocument.Provenance.DOSSIER_RESULT,
                source_result=result,
                source_dossier_code=dossier.code or "",
                issuer=dossier.agency,
                issuer_name=dossier.agency.name if dossier.agency_id else "",
                issued_on=timezone.localdate(result.issued_at),
                file=result.file.name,
                file_name=result.name[:255],
                file_kind=result.kind,
                size=result.size,
                sha256=result.sha256,
                signature=(
                    StoredDocument.Signature.AGENCY_VERIFIED
                    if result.pk in sealed
                    else StoredDocument.Signature.NONE
                ),
            )
            audit.record(
                "datastore.result_entered",
                document,
                actor=None,
                changes={"document": [None, {"dossier": dossier.code, "result": result.pk}]},
            )
            entered.append(document)
    return entered


def delete_upload(document: StoredDocument, *, user: Any) -> None:
    """Xóa giấy tờ: the owner removes a document they uploaded themselves. Issued, digitised
    and national-store documents are refused (ISSUED_DOCUMENT) and stay as they were."""
    with transaction.atomic():
        locked = (
            permissions.owned_by(user)
            .select_for_update(of=("self",))
            .filter(pk=document.pk)
            .first()
        )
        if locked is None:
            raise DatastoreError(errors.DOCUMENT_NOT_FOUND)
        if not locked.may_be_changed_by_owner():
            raise DatastoreError(errors.ISSUED_DOCUMENT)
        if locked.reused_in.exists():  # a dossier points to it (and to its file)
            raise DatastoreError(errors.DOCUMENT_IN_USE)
        name = locked.file.name or ""
        audit.record(
            "datastore.deleted",
            locked,
            actor=user,
            changes={"document": [{"kind": locked.kind_id, "sha256": locked.sha256}, None]},
        )
        locked.delete()
        transaction.on_commit(lambda: _forget(name))


def share_days() -> int:
    return int(settings.DATASTORE_SHARE_DAYS)


def share(
    document: StoredDocument,
    *,
    user: Any,
    agency: Any,
    days: int | None = None,
    now: datetime | None = None,
) -> DocumentShare:
    """Chia sẻ giấy tờ: a link for one named agency, valid `days` (default and most:
    TINHSO_DATASTORE_SHARE_DAYS). Expired documents are not shared."""
    most = share_days()
    days = most if days is None else days
    if agency is None:
        raise DatastoreError(
            errors.AGENCY_REQUIRED, fields={"agency": errors.AGENCY_REQUIRED.message}
        )
    if not 1 <= days <= most:
        message = str(errors.DAYS_INVALID.message).format(most=most)
        raise DatastoreError(errors.DAYS_INVALID, fields={"days": message}, most=most)
    now = now or timezone.now()
    with transaction.atomic():
        if not permissions.owned_by(user).filter(pk=document.pk).exists():
            raise DatastoreError(errors.DOCUMENT_NOT_FOUND)
        if document.is_expired(timezone.localdate(now)):
            raise DatastoreError(errors.EXPIRED_DOCUMENT)
        shared = DocumentShare.objects.create(
            document=document, agency=agency, expires_at=now + timedelta(days=days)
        )
        audit.record(
            "datastore.shared",
            document,
            actor=user,
            changes={"share": [None, {"agency": agency.code, "days": days}]},
        )
    return shared


def revoke_share(document: StoredDocument, share_pk: int, *, user: Any) -> DocumentShare:
    """Thu hồi chia sẻ: the owner ends a link before its time; the link is refused from then
    on (`queries.access_shared`, and `record_read` under the same row lock, so a read that
    raced the revocation cannot slip through after it). Only a share of `document` that
    `user` owns: anything else is SHARE_NOT_FOUND and changes nothing. Revoking twice (a
    double click) changes nothing the second time; an ended link is SHARE_ENDED."""
    # the id comes from the address: past 18 digits SQLite's integer overflows (a 500)
    if not str(share_pk).isdigit() or len(str(share_pk)) > 18:
        raise DatastoreError(errors.SHARE_NOT_FOUND)
    with transaction.atomic():
        share = (
            DocumentShare.objects.select_for_update()
            .filter(
                pk=share_pk,
                document=document,
                document__in=permissions.owned_by(user).values("pk"),
            )
            .select_related("agency")
            .first()
        )
        if share is None:
            raise DatastoreError(errors.SHARE_NOT_FOUND)
        if share.revoked_at is not None:
            return share
        now = timezone.now()
        if share.expires_at <= now:
            raise DatastoreError(errors.SHARE_ENDED)
        share.revoked_at = now
        share.revoked_by = user
        share.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            "datastore.share_revoked",
            document,
            actor=user,
            changes={
                "share": [
                    {"id": share.pk, "agency": share.agency.code, "revoked": False},
                    {"id": share.pk, "agency": share.agency.code, "revoked": True},
                ]
            },
        )
    return share


def record_read(
    document: StoredDocument,
    *,
    official: Any,
    agency: Any,
    reason: str,
    actor_label: str = "",
    share: DocumentShare | None = None,
) -> StoredDocumentRead:
    """Ghi nhận lượt xem: an official read the document (shown to its owner). A read with
    no account behind it (`official=None`: an operator's command on the server) names its
    reader in `actor_label` instead, e.g. `StoredDocumentRead.SYSTEM_OPERATOR`.

    Through a shared link (`share`), the share is locked and checked again in the
    transaction: revoked meanwhile is SHARE_REVOKED, ended is SHARE_NOT_VALID, and nothing
    is recorded or sent."""
    reason = normalize(reason)[:300]
    if not reason:
        raise DatastoreError(
            errors.REASON_REQUIRED, fields={"reason": errors.REASON_REQUIRED.message}
        )
    label = "" if official is not None else normalize(str(actor_label))[:200]
    if official is None and not label:
        raise DatastoreError(errors.READER_REQUIRED)
    with transaction.atomic():
        if share is not None:
            locked = DocumentShare.objects.select_for_update().filter(pk=share.pk).first()
            if locked is None or locked.expires_at <= timezone.now():
                raise DatastoreError(errors.SHARE_NOT_VALID)
            if locked.revoked_at is not None:
                raise DatastoreError(errors.SHARE_REVOKED)
        read = StoredDocumentRead.objects.create(
            document=document,
            share=share,
            official=official,
            actor_label=label,
            agency=agency,
            reason=reason,
            at=timezone.now(),
        )
        audit.record_read(document, ["file"], actor=official if official is not None else label)
    return read
