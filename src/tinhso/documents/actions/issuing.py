"""Issuing (phát hành): the number, the agency's signature, the edXML package and its
delivery to recipients (Decree 30/2020/NĐ-CP Điều 14–16); corrections (edXML update) and
recall (lấy lại, status 13) of an issued document.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction

from tinhso.core import audit, outbox
from tinhso.core.text import normalize
from tinhso.documents import edxml, errors, numbering, permissions, signing, xmlsig
from tinhso.documents.actions._common import (
    EDXML,
    PDF,
    SEND_PACKAGE,
    URGENCY_PRIORITY,
    _file,
    _files_of,
    _fresh,
    _index,
    _local,
    _locked,
    _notation,
    _now,
    _refuse_active_content,
    _replace_main,
    _still,
    _transition,
    issued_file_name,
    main_file,
    organ,
)
from tinhso.documents.actions.exchange import _receive_message, _send_status
from tinhso.documents.actions.registers import issue_number
from tinhso.documents.actions.signing import (
    _sign_pdf,
    _verify,
    agency_certificate,
    key_pair,
    signing_key,
)
from tinhso.documents.models import (
    Certificate,
    Direction,
    Document,
    DocumentFile,
    IssuedNumber,
    StatusEvent,
    Urgency,
)
from tinhso.places.models import Agency


def _has_local_recipient(doc: Document) -> bool:
    codes = doc.recipients.values_list("organ_id", flat=True)
    return Agency.objects.filter(code__in=codes, is_active=True).exists()


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
    for signed_here in doc.files.filter(
        kind__in=[DocumentFile.Kind.MAIN, DocumentFile.Kind.ATTACHMENT], content_type=PDF
    ):
        _refuse_active_content(bytes(signed_here.data))
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
    _refuse_active_content(pdf)
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
