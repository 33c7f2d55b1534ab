"""The document axis (trục liên thông, QCVN 102:2016/BTTTT): receive an edXML package or status
message (structure, sender, XML signature, then the document, a change to an earlier one, or
a status about one we sent), answer with a signed status message, record the statuses that
come back and send ours, to agencies of this instance at once and to the others through the
outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction

from tinhso.core import audit, outbox
from tinhso.core.text import normalize, search_key
from tinhso.documents import edxml, numbering, pki, throttle, xmlsig
from tinhso.documents.actions._common import (
    EDXML,
    SEND_STATUS,
    URGENCY_PRIORITY,
    _file,
    _index,
    _local,
    _now,
    organ,
)
from tinhso.documents.actions.signing import _verify, agency_certificate, key_pair
from tinhso.documents.models import (
    Certificate,
    Direction,
    Document,
    DocumentFile,
    Partner,
    Recipient,
    StatusEvent,
)
from tinhso.places.models import Agency


@dataclass(frozen=True)
class Receipt:
    """What the receiving endpoint answers: a status code and why."""

    code: str
    description: str
    documents: tuple[Document, ...] = ()
    created: bool = False
    # the partner whose XML signature verified; "" when nobody is proven to have sent it
    sender: str = ""


def _reject(description: str) -> Receipt:
    return Receipt(StatusEvent.Code.REJECTED, description)


def receive_package(data: bytes) -> Receipt:
    """The receiving endpoint's action: validate structure and signature, then register the
    message (a document, a change to an earlier one, or a status about one we sent).

    Unknown sender or bad signature: status 02 with the reason. The same DocumentId twice
    never makes two records. A partner over its per-minute limit (counted once its signature
    verified, so nobody else can spend it): `throttle.TooManyRequests`, nothing recorded.
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
    throttle.admit_partner(partner.organ_id)
    return replace(_receive_verified(message, data), sender=partner.organ_id)


def _receive_verified(message: edxml.Message | edxml.Status, data: bytes) -> Receipt:
    """The rest of `receive_package`, for a message whose sender's signature verified."""
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
    (or, when the message names none of ours, the province committee), signed with its key.

    A refusal of a request nobody is proven to have sent (unreadable, too large, unknown
    sender, bad signature) is answered unsigned and without reading the request again: a
    signature costs the agency's key work, and an anonymous request must not be able to
    have it made (security issue item 9)."""
    if receipt.code == StatusEvent.Code.REJECTED and not receipt.sender:
        return unsigned_refusal(receipt.description)
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


def unsigned_refusal(description: str) -> bytes:
    """Status 02 with the reason, from no agency, not signed (see `answer`)."""
    status = edxml.Status(
        sender=edxml.Organ("-", "-"),
        response_organ_id="",
        response_code="",
        response_date="",
        document_id="-",
        code=StatusEvent.Code.REJECTED,
        description=description,
        timestamp=_local(_now()).strftime(edxml.TIMESTAMP),
    )
    return edxml.to_bytes(edxml.build_status(status, signature_placeholder=False))


def record_delivery(recipient: Recipient, code: str, description: str) -> None:
    """The receiver's answer to a delivered package (01, or 02 with the reason)."""
    with transaction.atomic():
        _record_status(recipient.document, recipient.organ_id, code, description)
