"""Producing an electronic result (kết quả điện tử) and checking a copy of one.

The dossiers module calls `seal` before its transaction (signing is CPU work, and a remote
signing key uses the network) and `record` inside it, beside the `DossierResult` row: the
result's file IS the signed PDF, so what the citizen downloads, what enters their store
(`datastore.actions.add_result`) and what the verification page vouches for are the same
bytes with the same SHA-256.

A result is electronic when it is a PDF and its deciding agency (`dossier.agency`) has an
active agency certificate whose key signs unattended (`documents.actions.agency_certificate`:
the embedded keystore or the remote signing service). Otherwise the file is attached as it
came, with no code: the officer's attach step is not refused for a missing seal (an agency
without a certificate could not return any result), and `ElectronicResult` counts only what
really was sealed.

Legal sources: Decree 45/2020/NĐ-CP (electronic results; once only), Decree 30/2020/NĐ-CP
Annex I (the agency's signature), Decree 23/2025/NĐ-CP (verifying a digital signature).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.core import audit
from tinhso.documents import remote, signing, tokens
from tinhso.documents.errors import DocumentError
from tinhso.verify import codes, sealing
from tinhso.verify.models import ElectronicResult

log = logging.getLogger(__name__)


def verification_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/xac-thuc/{code}"


@dataclass(frozen=True)
class Sealed:
    """A signed result, computed outside any transaction, waiting for its row."""

    content: bytes
    code: str
    sha256: str
    kind_name: str
    number: str
    issuer: Any  # places.Agency
    issued_on: date
    signed_at: datetime
    signer: str
    certificate: Any  # documents.Certificate
    signature: SignatureState  # the check of `content` right after signing
    checked_at: datetime


def seal(dossier: Any, name: str, content: bytes, kind: str) -> Sealed | None:
    """Sign `content` with the seal of `dossier`'s deciding agency, with the QR code and the
    code of its verification page; None when the result cannot be electronic (not a PDF, no
    agency certificate, a file the signer cannot read). Never call it in a transaction."""
    from tinhso.documents import actions as documents

    agency = getattr(dossier, "agency", None)
    if kind != "pdf" or agency is None:
        return None
    try:
        certificate = documents.agency_certificate(agency)
        key = documents.signing_key(certificate)
    except DocumentError:
        return None
    code = codes.new_code()
    dossier_code = dossier.code or ""
    text = sealing.stamp_text(
        agency=agency.name,
        dossier_code=dossier_code,
        code=codes.printed(code),
        url=verification_url(code),
    )
    signed_at = timezone.now()
    try:
        signed = sealing.seal_pdf(
            content, key, url=verification_url(code), text=text, location=agency.name
        )
    except (signing.SigningError, remote.RemoteSigningError, tokens.TokenError) as exc:
        log.warning("result of %s not sealed: %s", dossier_code, exc)
        return None
    version = getattr(dossier, "version", None)
    signature = check_signature(signed)  # once, here: the public page shows this outcome
    return Sealed(
        content=signed,
        code=code,
        sha256=hashlib.sha256(signed).hexdigest(),
        kind_name=((version.result_name or version.name) if version else "")[:500],
        number=dossier_code[:100],
        issuer=agency,
        issued_on=timezone.localdate(signed_at),
        signed_at=signed_at,
        signer=certificate.subject[:500],
        certificate=certificate,
        signature=signature,
        checked_at=timezone.now(),
    )


def record(sealed: Sealed, result: Any, *, actor: Any = None) -> ElectronicResult:
    """The row of a sealed result, in the caller's transaction (the one that writes
    `result`), with its audit record."""
    electronic = ElectronicResult.objects.create(
        result=result,
        code=sealed.code,
        sha256=sealed.sha256,
        kind_name=sealed.kind_name,
        number=sealed.number,
        issuer=sealed.issuer,
        issuer_name=sealed.issuer.name[:300],
        issued_on=sealed.issued_on,
        signed_at=sealed.signed_at,
        signer=sealed.signer,
        certificate=sealed.certificate,
        signature_valid=sealed.signature.valid,
        signature_note=sealed.signature.note[:500],
        signature_checked_at=sealed.checked_at,
    )
    audit.record(
        "verify.result_sealed",
        electronic,
        actor=actor,
        changes={"electronic": [None, {"result": result.pk, "sha256": sealed.sha256}]},
    )
    return electronic


@dataclass(frozen=True)
class SignatureState:
    valid: bool  # every signature intact, trusted and not revoked, the agency's among them
    signer: str
    signed_at: str
    note: str  # why not, in Vietnamese, when not valid


def check_signature(content: bytes) -> SignatureState:
    """The PAdES check of the documents module (trusted roots; revocation per
    TINHSO_DOCUMENTS_REVOCATION) on `content`; valid only with the seal's field among the
    signatures and every signature valid."""
    from tinhso.documents import actions as documents

    verification = signing.verify_pdf(content, documents.trusted_roots())
    seal_sig = next(
        (s for s in verification.signatures if s.field_name == sealing.FIELD_NAME), None
    )
    if verification.error:
        return SignatureState(False, "", "", verification.error)
    if seal_sig is None:
        return SignatureState(False, "", "", "Tệp không có chữ ký số của cơ quan cấp kết quả.")
    if not verification.ok:
        broken = next(s for s in verification.signatures if not s.ok)
        note = broken.revocation_note if broken.revocation == signing.REVOKED else ""
        if not broken.intact:
            note = "Nội dung tệp đã bị thay đổi sau khi ký."
        elif not broken.trusted:
            note = note or "Chứng thư số không thuộc tổ chức chứng thực được tin cậy."
        return SignatureState(False, seal_sig.signer, seal_sig.signed_at, note)
    return SignatureState(True, seal_sig.signer, seal_sig.signed_at, "")


@dataclass(frozen=True)
class CopyCheck:
    """An uploaded file checked against an electronic result."""

    sha256: str
    same_file: bool  # byte for byte the signed result
    signature: SignatureState

    @property
    def confirmed(self) -> bool:
        return self.same_file and self.signature.valid


def recheck(electronic: ElectronicResult, *, actor: Any = None) -> ElectronicResult:
    """Verify the stored file's signature again (a revoked or expired certificate, a new
    trusted root) and record the outcome with its date. The check runs before the transaction
    (revocation may use the network); the row is updated in it, with an audit record when the
    outcome changed. Never call it in a transaction."""
    with electronic.result.file.open("rb") as stored:
        state = check_signature(stored.read())
    checked_at = timezone.now()
    with transaction.atomic():
        row = ElectronicResult.objects.select_for_update().get(pk=electronic.pk)
        before: list[object] = [row.signature_valid, row.signature_note]
        after: list[object] = [state.valid, state.note[:500]]
        row.signature_valid, row.signature_note = state.valid, state.note[:500]
        row.signature_checked_at = checked_at
        row.save(update_fields=["signature_valid", "signature_note", "signature_checked_at"])
        if before != after:
            audit.record(
                "verify.signature_rechecked",
                row,
                actor=actor,
                changes={"signature": [before, after]},
            )
    return row


def check_copy(electronic: ElectronicResult, content: bytes) -> CopyCheck:
    """Is `content` this result, unaltered, with a valid signature? A read: nothing is
    written (the visitor's file is not kept)."""
    sha = hashlib.sha256(content).hexdigest()
    return CopyCheck(
        sha256=sha, same_file=sha == electronic.sha256, signature=check_signature(content)
    )
