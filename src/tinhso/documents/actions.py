"""Every state change of official documents, one named action each.

Legal sources: Decree 30/2020/NĐ-CP Điều 14–16 (outgoing: number issued by the system,
registration, the agency's digital signature, issuance and tracking), Điều 20–23 (incoming:
receipt, check of authenticity and integrity, registration, submission to the leader,
assignment, handling and follow-up; notify the sender the same day, Điều 21.2), Điều 15 and
22.2 (numbering); QCVN 102:2016/BTTTT (edXML messages and status codes).

Each action owns its transaction, writes its audit record in it and queues deliveries to
other instances through the outbox.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core import audit, outbox
from tinhso.core.calendar import current_calendar
from tinhso.core.text import normalize, normalize_block, search_key
from tinhso.documents import (
    convert,
    edxml,
    errors,
    numbering,
    permissions,
    pki,
    remote,
    rendering,
    signing,
    textextract,
    tokens,
    xmlsig,
)
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import (
    Assignment,
    Certificate,
    Direction,
    Document,
    DocumentFile,
    IssuedNumber,
    Partner,
    Progress,
    Recipient,
    Register,
    ReviewStep,
    StatusEvent,
    TrustedRoot,
    Urgency,
)
from tinhso.documents.queries import visible_documents
from tinhso.places.models import Agency

log = logging.getLogger("tinhso.documents")

SEND_PACKAGE = "documents.send_package"
SEND_STATUS = "documents.send_status"
PDF = "application/pdf"
EDXML = "application/xml"
URGENCY_PRIORITY = {
    Urgency.NORMAL: 0,
    Urgency.URGENT: 1,
    Urgency.VERY_URGENT: 2,
    Urgency.EXPRESS: 3,
}


__all__ = ["DocumentError"]  # declared in errors.py, raised and caught as actions.DocumentError


# --- helpers ------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _file(document: Document, kind: str, name: str, content_type: str, data: bytes) -> DocumentFile:
    return DocumentFile.objects.create(
        document=document,
        kind=kind,
        name=name,
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def main_file(document: Document) -> DocumentFile | None:
    return document.files.filter(kind=DocumentFile.Kind.MAIN).order_by("-id").first()


def issued_file_name(number_and_notation: str) -> str:
    """The issued document's file name, from its number and notation: "15/QĐ-UBND" →
    "15-QD-UBND.pdf" (ASCII, so every mail client and file system keeps it)."""
    bare = unicodedata.normalize("NFD", number_and_notation.replace("Đ", "D").replace("đ", "d"))
    ascii_only = "".join(ch for ch in bare if unicodedata.category(ch) != "Mn")
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_only).strip("-")
    return f"{stem or 'van-ban'}.pdf"


def _replace_main(document: Document, data: bytes, *, name: str = "") -> DocumentFile:
    current = main_file(document)
    name = name or (current.name if current else f"van-ban-{document.pk}.pdf")
    document.files.filter(kind=DocumentFile.Kind.MAIN).delete()
    return _file(document, DocumentFile.Kind.MAIN, name, PDF, data)


def _index(document: Document, extra: str = "") -> None:
    """The folded text full-text search looks in: `subject_key` (number, notation, subject;
    ranked higher) and `search_text` (those, content, sender and the files' text). A DOCX
    source is read instead of the PDF converted from it (same text, counted once)."""
    files = list(
        document.files.filter(
            kind__in=[
                DocumentFile.Kind.MAIN,
                DocumentFile.Kind.ATTACHMENT,
                DocumentFile.Kind.SOURCE,
            ]
        )
    )
    has_source = any(f.kind == DocumentFile.Kind.SOURCE for f in files)
    extra = " ".join(
        [extra]
        + [
            textextract.extract(bytes(f.data), f.content_type, f.name)
            for f in files
            if not (has_source and f.kind == DocumentFile.Kind.MAIN)
        ]
    )
    document.subject_key = search_key(document.number_and_notation, document.subject)[:5_000]
    parts = [
        document.number_and_notation,
        document.subject,
        document.content,
        document.sender_name,
        extra,
    ]
    document.search_text = search_key(" ".join(p for p in parts if p))[:200_000]


def _token_refusal(exc: tokens.TokenError) -> DocumentError:
    """A token's failure as the person sees it: a wrong or missing PIN is theirs to correct
    (on the `pin` field); a missing, locked or misconfigured token is a conflict."""
    if exc.reason in tokens.PIN_REASONS:
        return errors.invalid(errors.PIN_REJECTED, "pin", str(exc))
    return DocumentError(errors.TOKEN_FAILED, str(exc))


def _sign_pdf(pdf: bytes, key: signing.KeySource, **options: Any) -> bytes:
    """Sign, turning the signer's failures into a DocumentError (nothing is saved). May use
    the network (remote service, token, timestamp server): never call it in a transaction."""
    try:
        return signing.sign_pdf(pdf, key, **options)
    except tokens.TokenError as exc:
        raise _token_refusal(exc) from None
    except signing.SigningError as exc:
        raise DocumentError(errors.SIGNING_FAILED, str(exc)) from None
    except remote.RemoteSigningError as exc:
        raise DocumentError(errors.REMOTE_SIGNING_FAILED, str(exc)) from None


def _passphrase() -> bytes:
    return pki.passphrase(settings.SECRET_KEY)


def signing_key(certificate: Certificate, pin: str = "") -> signing.KeySource:
    """The key of `certificate`: a PKCS#11 token (logged in with `pin`), the remote signing
    service, or the embedded keystore."""
    if certificate.state != Certificate.State.ACTIVE:
        raise DocumentError(errors.CERTIFICATE_INACTIVE)
    if certificate.pkcs11_uri:
        chain = [r.certificate_pem for r in TrustedRoot.objects.filter(is_active=True)]
        try:
            return tokens.TokenKey(
                uri=certificate.pkcs11_uri,
                module=settings.DOCUMENTS_PKCS11_MODULE,
                pin=pin,
                certificate_pem=certificate.certificate_pem,
                chain_pems=tuple(chain),
            )
        except tokens.TokenError as exc:
            raise _token_refusal(exc) from None
    if certificate.remote_url and certificate.remote_credential_id:
        chain = [r.certificate_pem for r in TrustedRoot.objects.filter(is_active=True)]
        return remote.RemoteSigningKey(
            base_url=certificate.remote_url,
            credential_id=certificate.remote_credential_id,
            certificate_pem=certificate.certificate_pem,
            chain_pems=tuple(chain),
            token=settings.DOCUMENTS_REMOTE_SIGNING_TOKEN,
        )
    if certificate.pkcs12 is None:
        raise DocumentError(errors.NO_KEY)
    return signing.SigningKey(bytes(certificate.pkcs12), _passphrase())


def key_pair(certificate: Certificate) -> pki.KeyPair:
    """The key itself, for XML signatures (edXML); only the embedded keystore gives it out."""
    if certificate.pkcs12 is None and certificate.pkcs11_uri:
        raise DocumentError(errors.TOKEN_KEY_FOR_EDXML)
    if certificate.pkcs12 is None:
        raise DocumentError(errors.NO_KEYSTORE_KEY)
    keys, _chain = pki.load_pkcs12(bytes(certificate.pkcs12), _passphrase())
    return keys


_HAS_KEY = Q(pkcs12__isnull=False) | ~Q(remote_credential_id="") | ~Q(pkcs11_uri="")


def agency_certificate(agency: Agency) -> Certificate:
    """The agency's signing certificate. Its key must be usable without a person present
    (issuing signs attachments and edXML packages unattended): the keystore or a remote
    signing service, never a token that asks for a PIN."""
    cert = (
        Certificate.objects.filter(owner_agency=agency, state=Certificate.State.ACTIVE)
        .filter(_HAS_KEY)
        .filter(pkcs11_uri="")
        .order_by("-not_after")
        .first()
    )
    if cert is None:
        raise DocumentError(errors.NO_AGENCY_CERTIFICATE, agency=agency.name)
    return cert


def user_certificate(user: Any) -> Certificate:
    cert = (
        Certificate.objects.filter(owner_user=user, state=Certificate.State.ACTIVE)
        .filter(_HAS_KEY)
        .order_by("-not_after")
        .first()
    )
    if cert is None:
        raise DocumentError(errors.NO_SIGNER_CERTIFICATE)
    return cert


def trusted_roots() -> list[x509.Certificate]:
    return [
        pki.load_certificate(r.certificate_pem) for r in TrustedRoot.objects.filter(is_active=True)
    ]


def organ(agency: Agency) -> edxml.Organ:
    return edxml.Organ(organ_id=agency.code, name=agency.name)


# --- certificates -------------------------------------------------------------------------


def add_certificate(
    keys: pki.KeyPair,
    *,
    owner_user: Any = None,
    owner_agency: Agency | None = None,
    chain: tuple[x509.Certificate, ...] = (),
    is_test: bool = False,
    stamp_image: bytes | None = None,
    actor: Any = None,
) -> Certificate:
    """Put a certificate and its key into the registry and the embedded keystore."""
    info = pki.describe(keys.certificate)
    with transaction.atomic():
        cert = Certificate.objects.create(
            owner_user=owner_user,
            owner_agency=owner_agency,
            subject=str(info["subject"])[:500],
            issuer=str(info["issuer"])[:500],
            serial=str(info["serial"]),
            not_before=keys.certificate.not_valid_before_utc,
            not_after=keys.certificate.not_valid_after_utc,
            certificate_pem=keys.certificate_pem,
            pkcs12=keys.to_pkcs12(_passphrase(), chain),
            is_test=is_test,
            stamp_image=stamp_image,
        )
        audit.record("documents.certificate.add", cert, actor=actor)
    return cert


def _check_new_certificate(cert: x509.Certificate) -> dict[str, object]:
    info = pki.describe(cert)
    if cert.not_valid_after_utc <= _now():
        raise errors.invalid(errors.CERTIFICATE_EXPIRED, "certificate")
    if Certificate.objects.filter(issuer=info["issuer"], serial=info["serial"]).exists():
        raise DocumentError(errors.CERTIFICATE_EXISTS)
    return info


def import_pkcs12(
    data: bytes,
    password: bytes,
    *,
    owner_user: Any = None,
    owner_agency: Agency | None = None,
    stamp_image: bytes | None = None,
    actor: Any,
) -> Certificate:
    """An official's or agency's key file (.p12/.pfx, as the CA delivers it) into the embedded
    keystore, re-encrypted with the instance's passphrase; the file's password is not kept."""
    if (owner_user is None) == (owner_agency is None):
        raise errors.invalid(errors.OWNER_REQUIRED, "owner")
    try:
        keys, chain = pki.load_pkcs12(data, password)
    except pki.KeyFileError as exc:  # a readable file without an RSA key and certificate
        raise errors.invalid(errors.PKCS12_UNREADABLE, "pkcs12", str(exc)) from None
    except ValueError:  # wrong password, or not PKCS#12 at all
        raise errors.invalid(errors.PKCS12_UNREADABLE, "pkcs12") from None
    _check_new_certificate(keys.certificate)
    return add_certificate(
        keys,
        owner_user=owner_user,
        owner_agency=owner_agency,
        chain=tuple(chain),
        stamp_image=stamp_image,
        actor=actor,
    )


def register_token_certificate(
    certificate_pem: str | bytes,
    pkcs11_uri: str,
    *,
    owner_user: Any,
    stamp_image: bytes | None = None,
    actor: Any,
) -> Certificate:
    """An official's certificate whose key stays on a USB token (PKCS#11): the registry keeps
    the certificate and where the key is, never the key or the PIN."""
    try:
        tokens.parse_uri(pkcs11_uri)  # a malformed URI is refused now, not at signing time
    except tokens.TokenError as exc:
        raise errors.invalid(errors.BAD_TOKEN_URI, "token_uri", str(exc)) from None
    try:
        cert = pki.load_certificate(certificate_pem)
    except ValueError:
        raise errors.invalid(errors.CERTIFICATE_UNREADABLE, "certificate") from None
    info = _check_new_certificate(cert)
    with transaction.atomic():
        registered = Certificate.objects.create(
            owner_user=owner_user,
            subject=str(info["subject"])[:500],
            issuer=str(info["issuer"])[:500],
            serial=str(info["serial"]),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            pkcs11_uri=pkcs11_uri.strip(),
            stamp_image=stamp_image,
        )
        audit.record("documents.certificate.add", registered, actor=actor)
    return registered


def revoke_certificate(certificate: Certificate, *, actor: Any) -> Certificate:
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
        before = audit.snapshot(cert, ["state"])
        cert.state = Certificate.State.REVOKED
        cert.save(update_fields=["state"])
        audit.record(
            "documents.certificate.revoke",
            cert,
            changes=audit.diff(before, audit.snapshot(cert, ["state"])),
            actor=actor,
        )
    return cert


# --- registers and numbers ----------------------------------------------------------------


def register_for(agency: Agency, year: int, direction: str, *, secret: bool = False) -> Register:
    register, _ = Register.objects.get_or_create(
        agency=agency, year=year, direction=direction, secret=secret
    )
    return register


def issue_number(
    agency: Agency,
    year: int,
    direction: str,
    *,
    secret: bool = False,
    document: Document | None = None,
    actor: Any = None,
) -> IssuedNumber:
    """Take the next number of a register, exactly once, whatever runs concurrently.

    The register row is the counter: it is locked (SELECT … FOR UPDATE; on SQLite the
    IMMEDIATE transaction holds the write lock) until the transaction commits.
    """
    with transaction.atomic():
        register_for(agency, year, direction, secret=secret)  # get_or_create survives races
        register = Register.objects.select_for_update().get(
            agency=agency, year=year, direction=direction, secret=secret
        )
        register.last_number += 1
        register.save(update_fields=["last_number"])
        issued = IssuedNumber.objects.create(
            register=register, number=register.last_number, document=document
        )
        audit.record(
            "documents.number.issue",
            issued,
            changes={"number": [None, issued.number], "register": [None, register.pk]},
            actor=actor,
        )
    return issued


def cancel_number(issued: IssuedNumber, *, reason: str, actor: Any) -> IssuedNumber:
    """Record that an issued number was cancelled (hủy số). The number is never reused."""
    reason = normalize(reason).strip()
    if not reason:
        raise errors.invalid(errors.REASON_REQUIRED, "reason", "Cần ghi lý do hủy số.")
    with transaction.atomic():
        row = IssuedNumber.objects.select_for_update().get(pk=issued.pk)
        if row.cancelled_at is not None:
            raise DocumentError(errors.NUMBER_CANCELLED)
        row.cancelled_at = _now()
        row.cancel_reason = reason[:500]
        row.save(update_fields=["cancelled_at", "cancel_reason"])
        audit.record(
            "documents.number.cancel",
            row,
            changes={"reason": [None, row.cancel_reason]},
            actor=actor,
        )
    return row


# --- outgoing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientSpec:
    organ_id: str
    name: str


def create_draft(
    agency: Agency,
    *,
    doc_type: str,
    subject: str,
    content: str = "",
    unit: str = "",
    urgency: str = Urgency.NORMAL,
    secrecy: str = "",
    signer: Any = None,
    signer_position: str = "",
    place: str = "",
    recipients: list[RecipientSpec] | None = None,
    pdf: bytes | None = None,
    docx: bytes | None = None,
    file_name: str = "",
    actor: Any,
) -> Document:
    """Dự thảo: from an uploaded PDF or DOCX, or rendered from the agency template.

    A DOCX is converted to PDF with LibreOffice (`convert.docx_to_pdf`, before the
    transaction: a failed conversion saves nothing) and kept as the editable source file.
    `actor=None` is the platform itself (a command, the demo data): no drafter is recorded.
    """
    if actor is not None:
        _refuse(permissions.creating_draft(actor, agency, signer))
    elif signer is not None and not permissions.may_sign(signer, agency):
        raise errors.invalid(errors.SIGNER_NOT_LEADER, "signer_username")
    subject = normalize(subject).strip()
    if not subject:
        raise errors.invalid(errors.SUBJECT_REQUIRED, "subject")
    if doc_type not in numbering.DOCUMENT_TYPES:
        raise errors.invalid(errors.BAD_DOC_TYPE, "doc_type")
    if pdf is not None and docx is not None:
        raise errors.invalid(errors.ONE_FILE, "file")
    if pdf is not None and not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "file", "Tệp dự thảo phải là tệp PDF.")
    _notation(doc_type, agency, unit)  # refuses a bad unit
    recipients = recipients or []
    if docx is not None:
        pdf = _convert(docx)
    with transaction.atomic():
        doc = Document.objects.create(
            agency=agency,
            direction=Direction.OUTGOING,
            state=Document.State.DRAFT,
            doc_type=doc_type,
            subject=subject,
            content=normalize(content),
            unit=unit,
            urgency=urgency,
            secrecy=secrecy,
            signer=signer,
            signer_name=getattr(signer, "full_name", "") or "",
            signer_position=normalize(signer_position),
            place=normalize(place),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        if pdf is None:
            draft = rendering.Draft(
                agency_name=agency.name,
                parent_name=agency.parent.name if agency.parent else "",
                number_line=f"Số: /{numbering.notation(doc_type, agency.short_name, unit)}",
                place=doc.place,
                day=_local(_now()).date(),
                type_name=numbering.type_name(doc_type) if doc_type != "CV" else "",
                subject=subject,
                content=doc.content,
                signer_position=doc.signer_position,
                signer_name=doc.signer_name,
                recipients=tuple(r.name for r in recipients),
            )
            pdf = rendering.render_pdf(draft)
        stem = _stem(file_name) or f"du-thao-{doc.pk}"
        _file(doc, DocumentFile.Kind.MAIN, f"{stem}.pdf", PDF, pdf)
        if docx is not None:
            _file(doc, DocumentFile.Kind.SOURCE, f"{stem}.docx", convert.DOCX, docx)
        for r in recipients:
            Recipient.objects.create(document=doc, organ_id=r.organ_id, name=normalize(r.name))
        _index(doc)
        doc.save(update_fields=["subject_key", "search_text"])
        audit.record("documents.draft.create", doc, actor=actor)
    return doc


def _stem(file_name: str) -> str:
    """The uploaded file's name without folder and extension (kept for the stored files)."""
    name = normalize(file_name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem = name.rsplit(".", 1)[0] if name.lower().endswith((".pdf", ".docx")) else name
    return stem[:200]


def _notation(doc_type: str, agency: Agency, unit: str) -> str:
    try:
        return numbering.notation(doc_type, agency.short_name, unit)
    except numbering.NotationError as exc:
        raise errors.invalid(errors.BAD_NOTATION, "unit", str(exc)) from None


def _convert(docx: bytes) -> bytes:
    try:
        return convert.docx_to_pdf(docx)
    except convert.ToolUnavailable as exc:
        raise errors.invalid(errors.DOCX_UNAVAILABLE, "file", str(exc)) from None
    except convert.ConversionError as exc:
        raise errors.invalid(errors.DOCX_UNREADABLE, "file", str(exc)) from None


def _locked(document: Document) -> Document:
    """The document's row, locked until the transaction ends (the caller holds one).

    FOR NO KEY UPDATE, not FOR UPDATE: a recall locks the sender's document and then writes
    its local recipient's copy, while an answer on that copy locks the copy and inserts a
    status event pointing at the sender's document (a key-share lock on it). FOR UPDATE
    blocks that key-share lock and the two deadlock; the weaker lock lets the insert pass, and
    the recall then waits for the copy's row in the one order."""
    return Document.objects.select_for_update(no_key=True).get(pk=document.pk)


def _refuse(refusal: DocumentError | None) -> None:
    if refusal is not None:
        raise refusal


def _transition(doc: Document, allowed: set[str], new: str, action: str, actor: Any) -> None:
    if doc.state not in allowed:
        raise DocumentError(errors.WRONG_STATE, state=doc.get_state_display())
    before = audit.snapshot(doc, ["state"])
    doc.state = new
    doc.save(update_fields=["state", "updated_at"])
    audit.record(
        action, doc, changes=audit.diff(before, audit.snapshot(doc, ["state"])), actor=actor
    )


# --- review and approval chain (trình duyệt) ----------------------------------------------
#
# The drafter submits to an ordered list of reviewers ending with the competent signer;
# each reviewer approves (the next one's turn) or returns with a comment (back to the
# drafter, who revises and resubmits: a new round from the first reviewer). The last
# approval makes the draft APPROVED, the only state `sign_document` accepts.


current_step = permissions.current_step


def _reviewers_of_last_round(doc: Document) -> list[Any]:
    last = doc.review_steps.order_by("-round").values_list("round", flat=True).first()
    if last is None:
        return []
    steps = doc.review_steps.filter(round=last).select_related("reviewer").order_by("position")
    return [step.reviewer for step in steps]


def submit_draft(document: Document, *, reviewers: list[Any] | None = None, actor: Any) -> Document:
    """Trình duyệt: the drafter sends the draft to `reviewers`, in order.

    The chain always ends with the competent signer (appended when missing). Without
    `reviewers`, a resubmission goes to the previous round's reviewers. Each reviewer must be
    a head of unit or a leader of the agency, listed once.
    """
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.submitting, actor, doc)
        chain = list(reviewers) if reviewers else _reviewers_of_last_round(doc)
        if doc.signer is not None and (not chain or chain[-1].pk != doc.signer_id):
            chain = [r for r in chain if r.pk != doc.signer_id] + [doc.signer]
        if not chain:
            raise errors.invalid(errors.REVIEWERS_REQUIRED, "reviewer_usernames")
        if len({r.pk for r in chain}) != len(chain):
            raise errors.invalid(errors.REVIEWER_TWICE, "reviewer_usernames")
        for reviewer in chain:
            if not permissions.may_review(reviewer, doc.agency):
                name = getattr(reviewer, "full_name", "") or reviewer.username
                raise errors.invalid(errors.REVIEWER_NOT_ELIGIBLE, "reviewer_usernames", name=name)
        last = doc.review_steps.order_by("-round").values_list("round", flat=True).first()
        round_number = (last or 0) + 1
        for position, reviewer in enumerate(chain, start=1):
            ReviewStep.objects.create(
                document=doc,
                round=round_number,
                position=position,
                reviewer=reviewer,
                submitted_by=actor if getattr(actor, "pk", None) else None,
            )
        _transition(
            doc, {Document.State.DRAFT}, Document.State.IN_REVIEW, "documents.draft.submit", actor
        )
        audit.record(
            "documents.review.start",
            doc,
            changes={"round": [None, round_number], "reviewers": [None, [r.pk for r in chain]]},
            actor=actor,
        )
    return doc


def approve_draft(document: Document, *, actor: Any, comment: str = "") -> Document:
    """Duyệt dự thảo: the current reviewer passes the draft to the next one; the last
    approval (the competent signer's) makes it APPROVED, ready to sign.

    A draft that was never submitted may be approved directly by its competent signer (a
    one-step chain, recorded as such): drafting and approving by the signer in one go.
    """
    comment = normalize_block(comment)[:5_000]
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.approving, actor, doc)
        allowed: set[str] = {Document.State.IN_REVIEW}
        if permissions.is_direct_approval(doc):
            ReviewStep.objects.create(document=doc, round=1, position=1, reviewer=actor)
            allowed = {Document.State.DRAFT}
        step = current_step(doc)
        assert step is not None  # the rule found the actor's pending step
        step.state = ReviewStep.State.APPROVED
        step.comment = comment
        step.acted_at = _now()
        step.save(update_fields=["state", "comment", "acted_at"])
        audit.record(
            "documents.review.approve",
            doc,
            changes={"round": [None, step.round], "position": [None, step.position]},
            actor=actor,
        )
        if current_step(doc) is None:
            _transition(doc, allowed, Document.State.APPROVED, "documents.draft.approve", actor)
    return doc


def return_draft(document: Document, *, comment: str, actor: Any) -> Document:
    """Trả lại: the current reviewer sends the draft back to the drafter with a comment; the
    later steps of the round are skipped. The drafter revises and resubmits."""
    comment = normalize_block(comment)
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.returning, actor, doc)
        if not comment:
            raise errors.invalid(errors.COMMENT_REQUIRED, "comment")
        step = current_step(doc)
        assert step is not None  # the rule found the actor's pending step
        now = _now()
        step.state = ReviewStep.State.RETURNED
        step.comment = comment[:5_000]
        step.acted_at = now
        step.save(update_fields=["state", "comment", "acted_at"])
        doc.review_steps.filter(round=step.round, state=ReviewStep.State.PENDING).update(
            state=ReviewStep.State.SKIPPED, acted_at=now
        )
        audit.record(
            "documents.review.return",
            doc,
            changes={"round": [None, step.round], "comment": [None, step.comment]},
            actor=actor,
        )
        _transition(
            doc, {Document.State.IN_REVIEW}, Document.State.DRAFT, "documents.draft.return", actor
        )
    return doc


def revise_draft(
    document: Document,
    *,
    pdf: bytes | None = None,
    docx: bytes | None = None,
    file_name: str = "",
    subject: str = "",
    actor: Any,
) -> Document:
    """Sửa dự thảo: the drafter uploads a new version (PDF or DOCX) of a draft that is not
    under review. The current main and source files become earlier versions (kept)."""
    permissions.require(permissions.revising, actor, document)  # before converting; again below
    if (pdf is None) == (docx is None):
        raise errors.invalid(errors.FILE_REQUIRED, "file")
    if pdf is not None and not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "file", "Tệp dự thảo phải là tệp PDF.")
    subject = normalize(subject).strip()
    if docx is not None:
        pdf = _convert(docx)
    assert pdf is not None
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.revising, actor, doc)
        version = doc.files.filter(kind=DocumentFile.Kind.VERSION).count() + 1
        for old in doc.files.filter(kind__in=[DocumentFile.Kind.MAIN, DocumentFile.Kind.SOURCE]):
            old.kind = DocumentFile.Kind.VERSION
            old.save(update_fields=["kind"])
        stem = _stem(file_name) or f"du-thao-{doc.pk}-v{version + 1}"
        _file(doc, DocumentFile.Kind.MAIN, f"{stem}.pdf", PDF, pdf)
        if docx is not None:
            _file(doc, DocumentFile.Kind.SOURCE, f"{stem}.docx", convert.DOCX, docx)
        changes: dict[str, Any] = {"file": [None, f"{stem}.pdf"]}
        if subject and subject != doc.subject:
            changes["subject"] = [doc.subject, subject]
            doc.subject = subject[:1000]
        _index(doc)
        doc.save(update_fields=["subject", "subject_key", "search_text", "updated_at"])
        audit.record("documents.draft.revise", doc, changes=changes, actor=actor)
    return doc


# --- signing and issuing: the network first, then a short transaction ----------------------
#
# Signing may reach a remote signing service, a PKCS#11 token and a timestamp server, and
# checking a signature fetches CRLs and OCSP answers: none of it runs while a transaction
# holds a row lock (on SQLite that would block every writer). Each action reads the document
# and checks its rule, signs and verifies, then locks the row, checks again that the document
# is as it was (state, main file, attachments, certificate) and writes; a document that
# changed meanwhile is refused with `documents.changed_while_signing` and the signature is
# thrown away.


def _fresh(document: Document) -> Document:
    return Document.objects.select_related("agency").get(pk=document.pk)


def _files_of(doc: Document) -> dict[int, str]:
    """The files signing works on (main and attachments), as id → sha256."""
    kinds = [DocumentFile.Kind.MAIN, DocumentFile.Kind.ATTACHMENT]
    return dict(doc.files.filter(kind__in=kinds).values_list("pk", "sha256"))


def _still(doc: Document, state: str, files: dict[int, str], cert: Certificate) -> None:
    """The locked document is as it was when the signature was made; else refuse."""
    unchanged = (
        doc.state == state
        and _files_of(doc) == files
        and Certificate.objects.filter(pk=cert.pk, state=Certificate.State.ACTIVE).exists()
    )
    if not unchanged:
        raise DocumentError(errors.CHANGED_WHILE_SIGNING)


def _has_local_recipient(doc: Document) -> bool:
    codes = doc.recipients.values_list("organ_id", flat=True)
    return Agency.objects.filter(code__in=codes, is_active=True).exists()


def _verify(files: dict[str, bytes]) -> dict[str, Any]:
    """The signature check of each PDF by file name (CRL/OCSP fetches: outside transactions)."""
    roots = trusted_roots()
    return {
        name: signing.verify_pdf(data, roots).as_dict()
        for name, data in files.items()
        if data.startswith(b"%PDF-")
    }


def sign_document(
    document: Document, *, signer: Any, certificate: Certificate | None = None, pin: str = ""
) -> Document:
    """The competent person signs (ký số người có thẩm quyền), visible in the signature cell.
    The approved unsigned main file is kept as a `VERSION` file; the signed PDF is the new
    main file. `pin` unlocks the signer's USB token when the certificate's key is on one.
    Signing happens before the transaction (see above)."""
    doc = _fresh(document)
    permissions.require(permissions.signing, signer, doc)
    cert = certificate or user_certificate(signer)
    key = signing_key(cert, pin)
    files = _files_of(doc)
    current = main_file(doc)
    assert current is not None
    signer_box, _agency_box = signing.signature_cell(
        bytes(current.data), signer.full_name or doc.signer_name
    )
    signed = _sign_pdf(
        bytes(current.data),
        key,
        field_name="ChuKyNguoiCoThamQuyen",
        stamp_text=f"{doc.signer_position}\n{signer.full_name or signer.username}\n%(ts)s",
        box=signer_box,
        image=bytes(cert.stamp_image) if cert.stamp_image else None,
        text_indent=(signer_box[2] - signer_box[0]) // 3,  # under the agency's seal
        reason="Ký ban hành",
        location=doc.place,
        timestamp_url=settings.DOCUMENTS_TSA_URL,
    )
    with transaction.atomic():
        doc = _locked(document)
        _still(doc, Document.State.APPROVED, files, cert)
        permissions.require(permissions.signing, signer, doc)
        # The approved, unsigned text stays on record as a version (like `revise_draft`).
        doc.files.filter(kind=DocumentFile.Kind.MAIN).update(kind=DocumentFile.Kind.VERSION)
        _file(doc, DocumentFile.Kind.MAIN, current.name, PDF, signed)
        doc.signer = signer
        doc.signer_name = signer.full_name or signer.username
        doc.save(update_fields=["signer", "signer_name"])
        _transition(doc, {Document.State.APPROVED}, Document.State.SIGNED, "documents.sign", signer)
    return doc


def _claim_number(document: Document, actor: Any) -> IssuedNumber:
    """The document's outgoing number: the one an earlier attempt took (never cancelled),
    or the register's next (Điều 15: the system issues it, exactly once). Its own short
    transaction, so a failed signature keeps the number for the retry: no gap."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.issuing, actor, doc)
        taken = (
            IssuedNumber.objects.filter(
                document=doc, cancelled_at=None, register__direction=Direction.OUTGOING
            )
            .select_related("register")
            .first()
        )
        if taken is not None:
            return taken
        return issue_number(
            doc.agency,
            _local(_now()).year,
            Direction.OUTGOING,
            secret=bool(doc.secrecy),
            document=doc,
            actor=actor,
        )


def issue_document(document: Document, *, actor: Any) -> Document:
    """Phát hành: the system issues the number, the clerk adds the agency's signature, and the
    document goes to its recipients (Điều 14–16 Decree 30/2020).

    Three steps: the number (a short transaction on the register's row); the agency's
    signatures and, for recipients of this instance, their checks (no transaction); then the
    document written, packaged and delivered (one transaction, nothing on the network)."""
    doc = _fresh(document)
    permissions.require(permissions.issuing, actor, doc)
    cert = agency_certificate(doc.agency)  # before a number is taken
    notation = _notation(doc.doc_type, doc.agency, doc.unit)
    issued = _claim_number(document, actor)
    today = _local(_now()).date()
    number = numbering.format_number(issued.number)
    number_and_notation = f"{number}/{notation}"
    files = _files_of(doc)
    current = main_file(doc)
    assert current is not None
    _signer_box, agency_box = signing.signature_cell(bytes(current.data), doc.signer_name)
    signed = _sign_pdf(
        bytes(current.data),
        signing_key(cert),
        field_name="ChuKyCoQuan",
        stamp_text=f"{doc.agency.name}\nSố: {number_and_notation}\n%(ts)s",
        box=agency_box,
        image=bytes(cert.stamp_image) if cert.stamp_image else None,
        reason="Phát hành",
        location=doc.place,
        timestamp_url=settings.DOCUMENTS_TSA_URL,
    )
    attachments: dict[int, bytes] = {}
    names = {issued_file_name(number_and_notation): signed}
    for att in doc.files.filter(kind=DocumentFile.Kind.ATTACHMENT):
        if att.content_type != PDF:
            names[att.name] = bytes(att.data)
            continue
        attachments[att.pk] = _sign_pdf(
            bytes(att.data),
            signing_key(cert),
            field_name="ChuKyCoQuanPhuLuc",
            stamp_text=signing.signing_time_line(number_and_notation, _now()),
            box=signing.ATTACHMENT_BOX,
            page=0,
            text_only=True,
        )
        names[att.name] = attachments[att.pk]
    checks = _verify(names) if _has_local_recipient(doc) else {}
    with transaction.atomic():
        doc = _locked(document)
        _still(doc, Document.State.SIGNED, files, cert)
        permissions.require(permissions.issuing, actor, doc)
        doc.number, doc.notation = number, notation
        doc.register = issued.register
        doc.register_number = issued.number
        doc.document_date = today
        doc.registered_at = _now()
        doc.exchange_id = edxml.document_id(doc.agency.code, today, doc.number_and_notation)
        _replace_main(doc, signed, name=issued_file_name(doc.number_and_notation))
        for att in doc.files.filter(pk__in=attachments):
            att.data = attachments[att.pk]
            att.sha256 = hashlib.sha256(att.data).hexdigest()
            att.save(update_fields=["data", "sha256"])
        doc.state = Document.State.ISSUED
        doc.agency_signed = True
        _index(doc)
        doc.save()
        audit.record(
            "documents.issue",
            doc,
            changes={"number": [None, doc.number_and_notation], "state": ["signed", "issued"]},
            actor=actor,
        )
        _distribute(doc, cert, pdf_checks=checks)
    return doc


def build_package(
    doc: Document, cert: Certificate, *, business_type: int = 0, reason: str = ""
) -> bytes:
    """The signed edXML package of an issued document, for all its recipients (the XML
    signature uses the agency's key in the keystore: no network)."""
    files = list(doc.files.filter(kind__in=[DocumentFile.Kind.MAIN, DocumentFile.Kind.ATTACHMENT]))
    message = edxml.Message(
        sender=organ(doc.agency),
        recipients=[edxml.Organ(r.organ_id, r.name) for r in doc.recipients.all()],
        document_id=doc.exchange_id,
        code_number=doc.number,
        code_notation=doc.notation,
        promulgation_date=(doc.document_date or _local(_now()).date()).strftime(edxml.DATE),
        place=doc.place,
        type_code=doc.doc_type,
        type_name=numbering.type_name(doc.doc_type),
        subject=doc.subject,
        content=doc.content,
        signer_position=doc.signer_position,
        signer_name=doc.signer_name,
        priority=URGENCY_PRIORITY.get(Urgency(doc.urgency), 0),
        trace=[(doc.agency.code, _local(_now()).strftime(edxml.TIMESTAMP))],
        business_type=business_type,
        business_reason=reason
        or {0: "Văn bản điện tử mới", 2: "Cập nhật văn bản điện tử"}.get(business_type, ""),
        attachments=[
            edxml.Attachment(f.name, f.content_type, bytes(f.data), content_id=f"cid:{f.pk}")
            for f in files
        ],
    )
    return xmlsig.sign(edxml.build_message(message), key_pair(cert))


def _distribute(
    doc: Document, cert: Certificate, *, pdf_checks: dict[str, Any], business_type: int = 0
) -> None:
    """Instant delivery to agencies of this instance; the axis (outbox) for the others.
    `pdf_checks` (`_verify`, made before the transaction) is what local recipients record."""
    package = build_package(doc, cert, business_type=business_type)
    stored = _file(doc, DocumentFile.Kind.EDXML, f"{doc.pk}-{business_type}.edxml", EDXML, package)
    for recipient in doc.recipients.all():
        local = Agency.objects.filter(code=recipient.organ_id, is_active=True).first()
        if local is not None:
            parsed = edxml.parse(package)
            assert isinstance(parsed, edxml.Message)
            _receive_message(parsed, package, local, pdf_checks=pdf_checks)
        else:
            outbox.enqueue(
                SEND_PACKAGE,
                {"file": stored.pk, "recipient": recipient.pk, "organ_id": recipient.organ_id},
            )


def update_document(document: Document, *, pdf: bytes, actor: Any) -> Document:
    """Send a corrected file for an issued document (edXML update, BussinessDocType 2);
    recipients answer 15 (accepted) or 16 (refused). Signed before the transaction."""
    doc = _fresh(document)
    permissions.require(permissions.updating, actor, doc)
    if not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "file", "Tệp cập nhật phải là tệp PDF.")
    cert = agency_certificate(doc.agency)
    files = _files_of(doc)
    updates = doc.files.filter(kind=DocumentFile.Kind.EDXML).count()  # the field's name
    signed = _sign_pdf(
        pdf,
        signing_key(cert),
        field_name=f"ChuKyCoQuanCapNhat{updates}",
        stamp_text=f"{doc.agency.name}\nSố: {doc.number_and_notation}\n%(ts)s",
        box=signing.AGENCY_BOX,
        reason="Cập nhật",
    )
    with transaction.atomic():
        doc = _locked(document)
        _still(doc, Document.State.ISSUED, files, cert)
        permissions.require(permissions.updating, actor, doc)
        _replace_main(doc, signed)
        audit.record("documents.update", doc, actor=actor)
        # an update waits for the recipient's clerk; its PDFs are not checked on arrival
        _distribute(doc, cert, pdf_checks={}, business_type=edxml.BusinessType.UPDATE)
    return doc


def recall_document(document: Document, *, reason: str, actor: Any) -> Document:
    """Lấy lại (status 13): the sender withdraws an issued document from its recipients."""
    reason = normalize(reason).strip() or "Lấy lại văn bản"
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.recalling, actor, doc)
        _transition(
            doc, {Document.State.ISSUED}, Document.State.RECALLED, "documents.recall", actor
        )
        for recipient in doc.recipients.all():
            _send_status(doc, StatusEvent.Code.CANCELLED, reason, to=recipient.organ_id)
    return doc


# --- receiving ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What the receiving endpoint answers: a status code and why."""

    code: str
    description: str
    documents: tuple[Document, ...] = ()
    created: bool = False


def _reject(description: str) -> Receipt:
    return Receipt(StatusEvent.Code.REJECTED, description)


def receive_package(data: bytes) -> Receipt:
    """The receiving endpoint's action: validate structure and signature, then register the
    message (a document, a change to an earlier one, or a status about one we sent).

    Unknown sender or bad signature: status 02 with the reason. The same DocumentId twice
    never makes two records.
    """
    try:
        message = edxml.parse(data)
    except edxml.EdxmlError as exc:
        return _reject(str(exc))
    partner = Partner.objects.filter(organ_id=message.sender.organ_id, is_active=True).first()
    if partner is None or not partner.certificate_pem:
        return _reject(f"Đơn vị gửi {message.sender.organ_id} không có trong danh sách liên thông.")
    try:
        xmlsig.verify(data, pki.load_certificate(partner.certificate_pem))
    except xmlsig.SignatureError as exc:
        return _reject(str(exc))
    if isinstance(message, edxml.Status):
        with transaction.atomic():
            return _receive_status(message)
    local = [
        a
        for a in Agency.objects.filter(code__in=[r.organ_id for r in message.recipients])
        if a.is_active
    ]
    if not local:
        return _reject("Không có đơn vị nhận nào thuộc hệ thống này.")
    # Verifying may fetch CRLs and OCSP answers over the network: never inside a transaction.
    checks = _check_pdfs(message) if message.business_type == edxml.BusinessType.NEW else {}
    docs: list[Document] = []
    created = False
    with transaction.atomic():
        for agency in local:
            receipt = _receive_message(message, data, agency, pdf_checks=checks)
            docs.extend(receipt.documents)
            created = created or receipt.created
    return Receipt(StatusEvent.Code.ARRIVED, "Đã đến", tuple(docs), created)


def _check_pdfs(message: edxml.Message) -> dict[str, Any]:
    """The signature check of every PDF attachment, by attachment name."""
    return _verify({att.name: att.data for att in message.attachments})


def _receive_message(
    message: edxml.Message, data: bytes, agency: Agency, *, pdf_checks: dict[str, Any]
) -> Receipt:
    """Register a message whose XML signature was verified; `pdf_checks` from `_check_pdfs`."""
    if message.business_type != edxml.BusinessType.NEW:
        return _receive_change(message, data, agency)
    existing = Document.objects.filter(
        agency=agency, direction=Direction.INCOMING, exchange_id=message.document_id
    ).first()
    if existing is not None:
        return Receipt(StatusEvent.Code.ARRIVED, "Đã đến (đã nhận trước đó)", (existing,), False)
    doc = Document.objects.create(
        agency=agency,
        direction=Direction.INCOMING,
        state=Document.State.RECEIVED,
        channel=Document.Channel.ELECTRONIC,
        doc_type=_type_from_name(message.type_name),
        subject=normalize(message.subject)[:1000],
        content=normalize(message.content),
        number=message.code_number[:20],
        notation=message.code_notation[:60],
        document_date=message.promulgated_on(),
        place=normalize(message.place)[:100],
        signer_name=normalize(message.signer_name)[:200],
        signer_position=normalize(message.signer_position)[:200],
        sender_code=message.sender.organ_id,
        sender_name=normalize(message.sender.name)[:300],
        urgency=list(URGENCY_PRIORITY)[min(max(message.priority, 0), 3)],
        exchange_id=message.document_id,
    )
    _file(doc, DocumentFile.Kind.EDXML, f"{doc.pk}.edxml", EDXML, data)
    for i, att in enumerate(message.attachments):
        kind = DocumentFile.Kind.MAIN if i == 0 else DocumentFile.Kind.ATTACHMENT
        _file(doc, kind, att.name or f"tep-{i + 1}", att.content_type, att.data)
    doc.signature_report = {"xml_signature": True, "files": pdf_checks}
    _index(doc)
    doc.save(update_fields=["signature_report", "subject_key", "search_text"])
    StatusEvent.objects.create(
        document=doc,
        outgoing=True,
        organ_id=agency.code,
        exchange_id=doc.exchange_id,
        code=StatusEvent.Code.ARRIVED,
        description="Đã đến",
        at=_now(),
    )
    audit.record("documents.receive", doc, actor=None)
    _apply_local_status(doc, StatusEvent.Code.ARRIVED, "Đã đến")
    return Receipt(StatusEvent.Code.ARRIVED, "Đã đến", (doc,), True)


def _type_from_name(name: str) -> str:
    folded = search_key(name)
    for code, (type_name, _abbr) in numbering.DOCUMENT_TYPES.items():
        if search_key(type_name) == folded:
            return code
    return "CV"


def _receive_change(message: edxml.Message, data: bytes, agency: Agency) -> Receipt:
    """A revoke, update or replace: it acts on the earlier document, after the clerk agrees."""
    target = Document.objects.filter(
        agency=agency, direction=Direction.INCOMING, exchange_id=message.target_document_id
    ).first()
    if target is None:
        return _reject(f"Không tìm thấy văn bản {message.target_document_id} để thay đổi.")
    change = {1: "revoke", 2: "update", 3: "replace"}[message.business_type]
    stored = _file(target, DocumentFile.Kind.EDXML, f"{target.pk}-{change}.edxml", EDXML, data)
    target.pending_change = change
    target.pending_message = stored
    target.save(update_fields=["pending_change", "pending_message"])
    audit.record("documents.change.receive", target, changes={"pending_change": ["", change]})
    return Receipt(StatusEvent.Code.ARRIVED, "Đã đến", (target,), True)


def _receive_status(status: edxml.Status) -> Receipt:
    """A status about a document: ours sent to the reporter, or the reporter's sent to us."""
    sender = status.sender.organ_id
    candidates = Document.objects.filter(exchange_id=status.document_id).exclude(
        agency__code=sender
    )
    for doc in candidates:
        is_recipient = doc.direction == Direction.OUTGOING and (
            doc.recipients.filter(organ_id=sender).exists()
        )
        is_sender = doc.direction == Direction.INCOMING and doc.sender_code == sender
        if is_recipient or is_sender:
            _record_status(doc, sender, status.code, status.description)
            return Receipt(StatusEvent.Code.ARRIVED, "Đã nhận trạng thái", (doc,), True)
    return _reject(f"Không tìm thấy văn bản {status.document_id} liên quan đến {sender}.")


def _record_status(doc: Document, organ_id: str, code: str, description: str) -> None:
    """A status came back for `doc` (ours): record it and act on recalls."""
    StatusEvent.objects.create(
        document=doc,
        outgoing=False,
        organ_id=organ_id,
        exchange_id=doc.exchange_id,
        code=code,
        description=description[:1000],
        at=_now(),
    )
    if doc.direction == Direction.OUTGOING:
        Recipient.objects.filter(document=doc, organ_id=organ_id).update(
            last_status=code, updated_at=_now()
        )
    elif code == StatusEvent.Code.CANCELLED:
        doc.pending_change = "recall"
        doc.save(update_fields=["pending_change"])
    audit.record("documents.status.receive", doc, changes={"status": [None, code]}, actor=None)


def _apply_local_status(doc: Document, code: str, description: str) -> None:
    """When the sender is an agency of this instance, its document sees the status at once."""
    source = Document.objects.filter(
        direction=Direction.OUTGOING, agency__code=doc.sender_code, exchange_id=doc.exchange_id
    ).first()
    if source is not None:
        _record_status(source, doc.agency.code, code, description)


def _send_status(doc: Document, code: str, description: str, *, to: str) -> None:
    """Report a status about `doc` to agency `to`: at once when it is local, else the axis."""
    StatusEvent.objects.create(
        document=doc,
        outgoing=True,
        organ_id=doc.agency.code,
        exchange_id=doc.exchange_id,
        code=code,
        description=description[:1000],
        at=_now(),
    )
    if Agency.objects.filter(code=to, is_active=True).exists():
        target = (
            Document.objects.filter(exchange_id=doc.exchange_id, agency__code=to)
            .exclude(pk=doc.pk)
            .first()
        )
        if target is not None:
            _record_status(target, doc.agency.code, code, description)
        return
    if doc.exchange_id and Partner.objects.filter(organ_id=to, is_active=True).exists():
        outbox.enqueue(
            SEND_STATUS, {"document": doc.pk, "code": code, "to": to, "description": description}
        )


def status_message(doc: Document, code: str, description: str) -> bytes:
    """The signed status message about `doc` from its agency."""
    number, _, notation = doc.exchange_id.rpartition(",")[2].partition("/")
    parts = doc.exchange_id.split(",")
    message = edxml.Status(
        sender=organ(doc.agency),
        response_organ_id=parts[0] if parts else "",
        response_code=f"{number}/{notation}" if notation else number,
        response_date=parts[1] if len(parts) > 1 else "",
        document_id=doc.exchange_id,
        code=code,
        description=description,
        timestamp=_local(_now()).strftime(edxml.TIMESTAMP),
    )
    return xmlsig.sign(edxml.build_status(message), key_pair(agency_certificate(doc.agency)))


def answer(receipt: Receipt, data: bytes) -> bytes:
    """The status message the receiving endpoint answers with, from the addressed agency
    (or, when the message names none of ours, the province committee), signed with its key."""
    if receipt.documents and receipt.documents[0].direction == Direction.INCOMING:
        return status_message(receipt.documents[0], receipt.code, receipt.description)
    document_id, addressed = "", []
    try:
        parsed = edxml.parse(data)
        document_id = parsed.document_id
        if isinstance(parsed, edxml.Message):
            addressed = [r.organ_id for r in parsed.recipients]
    except edxml.EdxmlError:
        pass
    agency = (
        Agency.objects.filter(code__in=addressed).order_by("code").first()
        or Agency.objects.filter(level=Agency.Level.PROVINCE).order_by("code").first()
    )
    status = edxml.Status(
        sender=organ(agency) if agency else edxml.Organ("-", "-"),
        response_organ_id=document_id.split(",")[0] if document_id else "",
        response_code=document_id.split(",")[-1] if document_id else "",
        response_date=document_id.split(",")[1] if document_id.count(",") >= 2 else "",
        document_id=document_id or "-",
        code=receipt.code,
        description=receipt.description,
        timestamp=_local(_now()).strftime(edxml.TIMESTAMP),
    )
    cert = (
        Certificate.objects.filter(owner_agency=agency, state=Certificate.State.ACTIVE)
        .exclude(pkcs12=None)
        .first()
        if agency
        else None
    )
    if cert is None:
        return edxml.to_bytes(edxml.build_status(status, signature_placeholder=False))
    return xmlsig.sign(edxml.build_status(status), key_pair(cert))


def record_delivery(recipient: Recipient, code: str, description: str) -> None:
    """The receiver's answer to a delivered package (01, or 02 with the reason)."""
    with transaction.atomic():
        _record_status(recipient.document, recipient.organ_id, code, description)


def _report_to_sender(doc: Document, code: str, description: str) -> None:
    if doc.sender_code and doc.exchange_id:
        _send_status(doc, code, description, to=doc.sender_code)


def register_incoming(document: Document, *, actor: Any) -> Document:
    """Vào sổ văn bản đến: the next số đến of the agency's incoming register; status 03."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.registering, actor, doc)
        issued = issue_number(
            doc.agency,
            _local(_now()).year,
            Direction.INCOMING,
            secret=bool(doc.secrecy),
            document=doc,
            actor=actor,
        )
        doc.register, doc.register_number, doc.registered_at = (
            issued.register,
            issued.number,
            _now(),
        )
        doc.save(update_fields=["register", "register_number", "registered_at"])
        _transition(
            doc, {Document.State.RECEIVED}, Document.State.REGISTERED, "documents.register", actor
        )
        _report_to_sender(doc, StatusEvent.Code.ACCEPTED, "Đã tiếp nhận, vào sổ văn bản đến")
    return doc


def reject_incoming(document: Document, *, reason: str, actor: Any) -> Document:
    """Từ chối tiếp nhận (status 02), with the reason."""
    reason = normalize(reason).strip()
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.rejecting, actor, doc)
        if not reason:
            raise errors.invalid(errors.REASON_REQUIRED, "reason", "Cần ghi lý do từ chối.")
        _transition(
            doc, {Document.State.RECEIVED}, Document.State.REJECTED, "documents.reject", actor
        )
        _report_to_sender(doc, StatusEvent.Code.REJECTED, reason)
    return doc


def record_paper_document(
    agency: Agency,
    *,
    doc_type: str,
    subject: str,
    number_and_notation: str,
    sender_name: str,
    document_date: date | None,
    pdf: bytes,
    actor: Any,
) -> Document:
    """A paper document, scanned and uploaded by the clerk (state: received)."""
    if actor is not None:
        _refuse(permissions.recording_paper(actor, agency))
    subject = normalize(subject).strip()
    if not subject:
        raise errors.invalid(errors.SUBJECT_REQUIRED, "subject")
    if not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "scan", "Bản quét phải là tệp PDF.")
    try:
        parsed = numbering.parse(normalize(number_and_notation))
    except numbering.NotationError as exc:
        raise errors.invalid(errors.BAD_NOTATION, "number_and_notation", str(exc)) from None
    with transaction.atomic():
        doc = Document.objects.create(
            agency=agency,
            direction=Direction.INCOMING,
            state=Document.State.RECEIVED,
            channel=Document.Channel.PAPER,
            doc_type=doc_type if doc_type in numbering.DOCUMENT_TYPES else "CV",
            subject=subject,
            number=parsed.number[:20],
            notation=parsed.notation[:60],
            document_date=document_date,
            sender_name=normalize(sender_name)[:300],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        _file(doc, DocumentFile.Kind.MAIN, f"ban-quet-{doc.pk}.pdf", PDF, pdf)
        _index(doc)
        doc.save(update_fields=["subject_key", "search_text"])
        audit.record("documents.receive_paper", doc, actor=actor)
    return doc


def assign(
    document: Document,
    *,
    instruction: str,
    days: int,
    unit: Agency | None = None,
    assignee: Any = None,
    actor: Any,
) -> Assignment:
    """The leader assigns the document with instructions and a deadline in working days."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.assigning, actor, doc)
        if unit is None and assignee is None:
            raise errors.invalid(errors.ASSIGNEE_REQUIRED, "unit_code")
        if unit is not None and unit.pk != doc.agency_id and unit.parent_id != doc.agency_id:
            raise errors.invalid(errors.UNKNOWN_UNIT, "unit_code")
        if assignee is not None and not permissions.may_be_assigned(assignee, doc.agency):
            raise errors.invalid(errors.UNKNOWN_OFFICIAL, "assignee", username=assignee.username)
        if days < 1:
            raise errors.invalid(errors.BAD_DAYS, "days")
        deadline = current_calendar().add_working_time(_now(), days=days)
        item = Assignment.objects.create(
            document=doc,
            unit=unit,
            assignee=assignee,
            instruction=normalize(instruction),
            deadline=deadline,
            assigned_by=actor if getattr(actor, "pk", None) else None,
        )
        if doc.state == Document.State.REGISTERED:
            _transition(
                doc, {Document.State.REGISTERED}, Document.State.ASSIGNED, "documents.assign", actor
            )
            _report_to_sender(doc, StatusEvent.Code.ASSIGNED, "Đã phân công xử lý")
        audit.record(
            "documents.assignment.create",
            item,
            changes={"deadline": [None, deadline.isoformat()]},
            actor=actor,
        )
    return item


may_record_progress = permissions.may_record_progress


def record_progress(
    document: Document, *, note: str, actor: Any, assignment: Assignment | None = None
) -> Progress:
    """Ghi tiến độ xử lý on an open assignment of the document (the actor's own when none is
    given, or the only open one for a leader); the assignment becomes PROGRESS.

    The first progress on a document tells the sender status 05 "Đang xử lý" (QCVN 102:2016);
    the note itself is internal and is not sent, and later notes send nothing more.
    """
    note = normalize_block(note)
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.recording_progress, actor, doc)
        if not note:
            raise errors.invalid(errors.NOTE_REQUIRED, "note")
        if len(note) > 5_000:
            raise errors.invalid(errors.NOTE_TOO_LONG, "note")
        active = doc.assignments.filter(state__in=Assignment.ACTIVE).select_related(
            "unit", "document__agency"
        )
        if assignment is not None:
            item = active.filter(pk=assignment.pk).first()
            if item is None:
                raise DocumentError(errors.ASSIGNMENT_CLOSED)
        else:
            mine = [a for a in active if a.assignee_id == getattr(actor, "pk", None)]
            mine = mine or [
                a for a in active if a.unit is not None and may_record_progress(actor, a)
            ]
            if not mine and len(active) == 1:
                mine = list(active)
            if len(mine) != 1:
                raise errors.invalid(errors.ASSIGNMENT_REQUIRED, "assignment_id")
            item = mine[0]
        if not may_record_progress(actor, item):
            raise DocumentError(errors.NOT_HANDLER)
        entry = Progress.objects.create(assignment=item, note=note, author=actor, at=_now())
        if item.state == Assignment.State.OPEN:
            item.state = Assignment.State.PROGRESS
            item.save(update_fields=["state"])
        audit.record(
            "documents.progress",
            item,
            changes={"state": [None, item.state], "progress": [None, entry.pk]},
            actor=actor,
        )
        first = not doc.statuses.filter(outgoing=True, code=StatusEvent.Code.PROCESSING).exists()
        if first:
            _report_to_sender(doc, StatusEvent.Code.PROCESSING, "Đang xử lý")
    return entry


def finish(document: Document, *, result: str, actor: Any) -> Document:
    """Hoàn thành xử lý (status 06); open assignments are closed with the result."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.finishing, actor, doc)
        now = _now()
        doc.assignments.filter(state__in=Assignment.ACTIVE).update(
            state=Assignment.State.DONE, completed_at=now, result=normalize(result)
        )
        _transition(
            doc,
            {Document.State.REGISTERED, Document.State.ASSIGNED},
            Document.State.FINISHED,
            "documents.finish",
            actor,
        )
        _report_to_sender(doc, StatusEvent.Code.FINISHED, "Hoàn thành xử lý")
    return doc


def answer_change(document: Document, *, accept: bool, actor: Any) -> Document:
    """The clerk answers a recall or update from the sender: 15 (agree) or 16 (refuse).

    Agreeing to a recall or revoke marks the document recalled; agreeing to an update or
    replacement takes the new files from the message.
    """
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.answering_change, actor, doc)
        change = doc.pending_change
        before = audit.snapshot(doc, ["state", "pending_change"])
        if accept and change in ("recall", "revoke"):
            doc.state = Document.State.RECALLED
        elif accept and change in ("update", "replace") and doc.pending_message is not None:
            message = edxml.parse(bytes(doc.pending_message.data))
            assert isinstance(message, edxml.Message)
            if message.attachments:
                _replace_main(doc, message.attachments[0].data)
        doc.pending_change = ""
        doc.pending_message = None
        doc.save(update_fields=["state", "pending_change", "pending_message", "updated_at"])
        audit.record(
            "documents.change.answer",
            doc,
            changes=audit.diff(before, audit.snapshot(doc, ["state", "pending_change"])),
            actor=actor,
        )
        code = StatusEvent.Code.CHANGE_ACCEPTED if accept else StatusEvent.Code.CHANGE_REJECTED
        _report_to_sender(doc, code, "Đồng ý" if accept else "Từ chối")
    return doc


def related_document(user: Any, pk: int) -> Document:
    """The document to link to, if `user` sees it (a refusal on `related_id` otherwise)."""
    related = visible_documents(user).filter(pk=pk).first()
    if related is None:
        raise errors.invalid(errors.RELATED_NOT_FOUND, "related_id")
    return related


def link(
    document: Document,
    *,
    related: Document | None = None,
    dossier_code: str = "",
    actor: Any,
) -> Document:
    """Liên kết: a related document of the same agency, or a one-stop dossier by its code."""
    dossier_code = normalize(dossier_code).strip()
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.linking, actor, doc)
        if related is None and not dossier_code:
            raise errors.invalid(errors.LINK_REQUIRED, "related_id")
        if related is not None and (related.pk == doc.pk or related.agency_id != doc.agency_id):
            raise errors.invalid(errors.LINK_OTHER_AGENCY, "related_id")
        changes: dict[str, Any] = {}
        if related is not None:
            doc.related.add(related)
            changes["related"] = [None, related.pk]
        if dossier_code and dossier_code not in doc.dossier_codes:
            doc.dossier_codes = [*doc.dossier_codes, dossier_code[:40]]
            doc.save(update_fields=["dossier_codes"])
            changes["dossier_codes"] = [None, dossier_code[:40]]
        audit.record("documents.link", doc, changes=changes, actor=actor)
    return doc
