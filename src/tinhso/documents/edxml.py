"""edXML messages (gói tin văn bản điện tử) and status messages: build and parse. No I/O.

Legal source: QCVN 102:2016/BTTTT (structure of the electronic official-letter data message),
as implemented by the public VPCP/VNPT SDKs (reference.md §1). Tree: `edXML` ›
`edXMLEnvelope` › `edXMLHeader` {`MessageHeader`, `TraceHeaderList`, `Signature`} and
`edXMLBody` › `edXMLManifest` › `Reference`*, then outside the envelope `AttachmentEncoded` ›
`Attachment`*. Status messages carry `ResponseFor`, `StatusCode`, `Description`, `Timestamp`.
[UNCONFIRMED]: the `DocumentType` and `SteeringType` code tables; whether attachments are
zipped before base64 (we send them plain and keep received ones as they come).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DS = "http://www.w3.org/2000/09/xmldsig#"
OLD_NS = "http://www.e-doc.vn/Schema/"
SOAP_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
DATE = "%Y/%m/%d"
TIMESTAMP = "%Y/%m/%d %H:%M:%S"


class EdxmlError(ValueError):
    """The message is not a well-formed edXML message; `str()` says why, in Vietnamese."""


class BusinessType:
    """BussinessDocType: 0 new, 1 revoke (thu hồi), 2 update (cập nhật), 3 replace (thay thế)."""

    NEW, REVOKE, UPDATE, REPLACE = 0, 1, 2, 3


@dataclass
class Organ:
    organ_id: str
    name: str
    in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Staff:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes
    content_id: str = ""
    description: str = ""


@dataclass
class Message:
    """A document message (edoc): new, revoke, update or replace."""

    sender: Organ
    recipients: list[Organ]
    document_id: str
    code_number: str
    code_notation: str
    promulgation_date: str  # yyyy/MM/dd as sent; see `promulgated_on()`
    subject: str
    place: str = ""
    type_code: str = "1"
    type_detail: str = "0"
    type_name: str = ""
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_name: str = ""
    due_date: str = ""
    priority: int = 0
    sphere: str = ""
    typer_notation: str = ""
    promulgation_amount: str = ""
    page_amount: str = ""
    appendixes: list[str] = field(default_factory=list)
    steering_type: str = ""
    to_places: list[str] = field(default_factory=list)
    trace: list[tuple[str, str]] = field(default_factory=list)
    business_type: int = BusinessType.NEW
    business_reason: str = ""
    business_document_id: str = ""
    paper: str = "0"
    staff: list[Staff] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    has_signature: bool = False

    def promulgated_on(self) -> date | None:
        try:
            return datetime.strptime(self.promulgation_date, DATE).date()
        except ValueError:
            return None

    @property
    def target_document_id(self) -> str:
        """The earlier document a revoke, update or replace acts on."""
        if self.replaced:
            return self.replaced[0]
        return self.business_document_id or self.document_id


@dataclass
class Status:
    """A status message (trạng thái xử lý) about a document another agency sent."""

    sender: Organ
    response_organ_id: str
    response_code: str
    response_date: str
    document_id: str
    code: str
    description: str
    timestamp: str
    staff: Staff = field(default_factory=Staff)
    has_signature: bool = False


def document_id(organ_id: str, day: date, number_and_notation: str) -> str:
    """`000.00.00.G22,2018/09/20,7816/VPCP-TTĐT`."""
    return f"{organ_id},{day.strftime(DATE)},{number_and_notation}"


# --- building ---------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    el = etree.SubElement(parent, _q(tag))
    if text is not None:
        el.text = str(text)
    return el


def _organ(parent: etree._Element, tag: str, organ: Organ) -> None:
    el = _sub(parent, tag)
    _sub(el, "OrganId", organ.organ_id)
    _sub(el, "OrganizationInCharge", organ.in_charge or organ.name)
    _sub(el, "OrganName", organ.name)
    for name, value in (
        ("OrganAdd", organ.address),
        ("Email", organ.email),
        ("Telephone", organ.telephone),
        ("Fax", organ.fax),
        ("Website", organ.website),
    ):
        _sub(el, name, value)


def _staff(parent: etree._Element, staff: Staff) -> None:
    el = _sub(parent, "StaffInfo")
    _sub(el, "Department", staff.department)
    _sub(el, "Staff", staff.staff)
    _sub(el, "Mobile", staff.mobile)
    _sub(el, "Email", staff.email)


def _envelope() -> tuple[etree._Element, etree._Element, etree._Element]:
    root = etree.Element("edXML", nsmap={None: NS})
    root.tag = _q("edXML")
    envelope = etree.SubElement(root, _q("edXMLEnvelope"), nsmap={"edXML": NS})
    header = _sub(envelope, "edXMLHeader")
    return root, envelope, header


def _signature_placeholder(header: etree._Element) -> None:
    etree.SubElement(header, f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})


def build_message(m: Message, *, signature_placeholder: bool = True) -> etree._Element:
    """The edXML tree of a document message; sign it with `xmlsig.sign()`."""
    root, envelope, header = _envelope()
    mh = _sub(header, "MessageHeader")
    _organ(mh, "From", m.sender)
    for organ in m.recipients:
        _organ(mh, "To", organ)
    _sub(mh, "DocumentId", m.document_id)
    code = _sub(mh, "Code")
    _sub(code, "CodeNumber", m.code_number)
    _sub(code, "CodeNotation", m.code_notation)
    prom = _sub(mh, "PromulgationInfo")
    _sub(prom, "Place", m.place)
    _sub(prom, "PromulgationDate", m.promulgation_date)
    dtype = _sub(mh, "DocumentType")
    _sub(dtype, "Type", m.type_code)
    _sub(dtype, "TypeDetail", m.type_detail)
    _sub(dtype, "TypeName", m.type_name)
    _sub(mh, "Subject", m.subject)
    _sub(mh, "Content", m.content)
    signer = _sub(mh, "SignerInfo")
    _sub(signer, "Competence", m.signer_competence)
    _sub(signer, "Position", m.signer_position)
    _sub(signer, "FullName", m.signer_name)
    _sub(mh, "DueDate", m.due_date)
    other = _sub(mh, "OtherInfo")
    _sub(other, "Priority", m.priority)
    _sub(other, "SphereOfPromulgation", m.sphere)
    _sub(other, "TyperNotation", m.typer_notation)
    _sub(other, "PromulgationAmount", m.promulgation_amount)
    _sub(other, "PageAmount", m.page_amount)
    appendixes = _sub(other, "Appendixes")
    for text in m.appendixes:
        _sub(appendixes, "Appendix", text)
    _sub(mh, "SteeringType", m.steering_type)
    places = _sub(mh, "ToPlaces")
    for place in m.to_places:
        _sub(places, "Place", place)
    traces = _sub(
        header,
        "TraceHeaderList",
    )
    traces.set("id", "TraceHeaderList")
    traces.set("version", "1.0")
    traces.set("mustUnderstand", "1")
    traces.set("actor", SOAP_ACTOR)
    for organ_id, stamp in m.trace:
        th = _sub(traces, "TraceHeader")
        _sub(th, "OrganId", organ_id)
        _sub(th, "Timestamp", stamp)
    bus = _sub(traces, "Bussiness")
    _sub(bus, "DocumentId", m.business_document_id or m.document_id)
    _sub(bus, "BussinessDocType", m.business_type)
    _sub(bus, "BussinessDocReason", m.business_reason)
    _sub(bus, "Paper", m.paper)
    for staff in m.staff:
        _staff(bus, staff)
    if m.replaced:
        rl = _sub(bus, "ReplacementInfoList")
        for doc_id in m.replaced:
            ri = _sub(rl, "ReplacementInfo")
            _sub(ri, "DocumentId", doc_id)
            ol = _sub(ri, "OrganIdList")
            for organ in m.recipients:
                _sub(ol, "OrganId", organ.organ_id)
    if signature_placeholder:
        _signature_placeholder(header)
    body = _sub(envelope, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    manifest.set("version", "1.0")
    encoded = _sub(root, "AttachmentEncoded")
    for att in m.attachments:
        cid = att.content_id or f"cid:{uuid.uuid4()}"
        ref = _sub(manifest, "Reference")
        ref.set("{http://www.w3.org/1999/xlink}href", cid)
        ref.set("{http://www.w3.org/1999/xlink}type", "simple")
        _sub(ref, "ContentId", cid)
        _sub(ref, "ContentType", att.content_type)
        _sub(ref, "Description", att.description or att.name)
        _sub(ref, "AttachmentName", att.name)
        a = _sub(encoded, "Attachment")
        _sub(a, "ContentId", cid)
        _sub(a, "AttachmentName", att.name)
        _sub(a, "Description", att.description or att.name)
        _sub(a, "ContentType", att.content_type)
        _sub(a, "ContentTransferEncoded", base64.b64encode(att.data).decode())
    return root


def build_status(s: Status, *, signature_placeholder: bool = True) -> etree._Element:
    if s.code not in STATUS_CODES:
        raise EdxmlError(f"Mã trạng thái không hợp lệ: {s.code}.")
    root, _envelope_el, header = _envelope()
    mh = _sub(header, "MessageHeader")
    _organ(mh, "From", s.sender)
    rf = _sub(mh, "ResponseFor")
    _sub(rf, "OrganId", s.response_organ_id)
    _sub(rf, "Code", s.response_code)
    _sub(rf, "PromulgationDate", s.response_date)
    _sub(rf, "DocumentId", s.document_id)
    _staff(mh, s.staff)
    _sub(mh, "StatusCode", s.code)
    _sub(mh, "Description", s.description)
    _sub(mh, "Timestamp", s.timestamp)
    if signature_placeholder:
        _signature_placeholder(header)
    return root


def to_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


# --- parsing ----------------------------------------------------------------------------


def parse_xml(data: bytes) -> etree._Element:
    """Parse without network access or entity expansion; a clear error for broken XML."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise EdxmlError(f"Gói tin không phải XML hợp lệ: {exc.msg} (dòng {exc.lineno}).") from None
    tag = etree.QName(root)
    if tag.localname != "edXML" or tag.namespace not in (NS, OLD_NS):
        raise EdxmlError(f"Gói tin không phải edXML theo QCVN 102:2016 (phần tử gốc {root.tag}).")
    return root


def _ns(root: etree._Element) -> str:
    return etree.QName(root).namespace or NS


class _Reader:
    def __init__(self, root: etree._Element) -> None:
        self.ns = _ns(root)
        self.root = root

    def find(self, el: etree._Element | None, path: str) -> etree._Element | None:
        if el is None:
            return None
        q = "/".join(f"{{{self.ns}}}{p}" for p in path.split("/"))
        return el.find(q)

    def findall(self, el: etree._Element | None, path: str) -> list[etree._Element]:
        if el is None:
            return []
        q = "/".join(f"{{{self.ns}}}{p}" for p in path.split("/"))
        return list(el.findall(q))

    def text(self, el: etree._Element | None, path: str) -> str:
        found = self.find(el, path)
        return (found.text or "").strip() if found is not None else ""

    def required(self, el: etree._Element | None, path: str) -> str:
        value = self.text(el, path)
        if not value:
            raise EdxmlError(f"Gói tin thiếu thành phần bắt buộc {path}.")
        return value

    def organ(self, el: etree._Element | None) -> Organ:
        if el is None:
            raise EdxmlError("Gói tin thiếu thông tin cơ quan gửi (From).")
        return Organ(
            organ_id=self.required(el, "OrganId"),
            name=self.text(el, "OrganName"),
            in_charge=self.text(el, "OrganizationInCharge"),
            address=self.text(el, "OrganAdd"),
            email=self.text(el, "Email"),
            telephone=self.text(el, "Telephone"),
            fax=self.text(el, "Fax"),
            website=self.text(el, "Website"),
        )

    def staff(self, el: etree._Element | None) -> Staff:
        return Staff(
            department=self.text(el, "Department"),
            staff=self.text(el, "Staff"),
            mobile=self.text(el, "Mobile"),
            email=self.text(el, "Email"),
        )


def _has_signature(header: etree._Element | None, ns: str) -> bool:
    if header is None:
        return False
    return (
        header.find(f"{{{DS}}}Signature") is not None
        or header.find(f"{{{ns}}}Signature") is not None
    )


def parse(data: bytes) -> Message | Status:
    """A document message or a status message, whichever `data` holds."""
    root = parse_xml(data)
    r = _Reader(root)
    header = r.find(root, "edXMLEnvelope/edXMLHeader")
    mh = r.find(header, "MessageHeader")
    if mh is None:
        raise EdxmlError("Gói tin thiếu edXMLEnvelope/edXMLHeader/MessageHeader.")
    sender = r.organ(r.find(mh, "From"))
    if r.find(mh, "StatusCode") is not None:
        code = r.required(mh, "StatusCode")
        if code not in STATUS_CODES:
            raise EdxmlError(f"Mã trạng thái không hợp lệ: {code}.")
        rf = r.find(mh, "ResponseFor")
        return Status(
            sender=sender,
            response_organ_id=r.text(rf, "OrganId"),
            response_code=r.text(rf, "Code"),
            response_date=r.text(rf, "PromulgationDate"),
            document_id=r.required(rf, "DocumentId"),
            code=code,
            description=r.text(mh, "Description"),
            timestamp=r.text(mh, "Timestamp"),
            staff=r.staff(r.find(mh, "StaffInfo")),
            has_signature=_has_signature(header, r.ns),
        )
    traces = r.find(header, "TraceHeaderList")
    bus = r.find(traces, "Bussiness")
    business = r.text(bus, "BussinessDocType") or "0"
    if business not in ("0", "1", "2", "3"):
        raise EdxmlError(f"Loại nghiệp vụ (BussinessDocType) không hợp lệ: {business}.")
    priority = r.text(mh, "OtherInfo/Priority") or "0"
    m = Message(
        sender=sender,
        recipients=[r.organ(el) for el in r.findall(mh, "To")],
        document_id=r.required(mh, "DocumentId"),
        code_number=r.text(mh, "Code/CodeNumber"),
        code_notation=r.text(mh, "Code/CodeNotation"),
        promulgation_date=r.text(mh, "PromulgationInfo/PromulgationDate"),
        place=r.text(mh, "PromulgationInfo/Place"),
        type_code=r.text(mh, "DocumentType/Type"),
        type_detail=r.text(mh, "DocumentType/TypeDetail"),
        type_name=r.text(mh, "DocumentType/TypeName"),
        subject=r.required(mh, "Subject"),
        content=r.text(mh, "Content"),
        signer_competence=r.text(mh, "SignerInfo/Competence"),
        signer_position=r.text(mh, "SignerInfo/Position"),
        signer_name=r.text(mh, "SignerInfo/FullName"),
        due_date=r.text(mh, "DueDate"),
        priority=int(priority) if priority.isdigit() else 0,
        sphere=r.text(mh, "OtherInfo/SphereOfPromulgation"),
        typer_notation=r.text(mh, "OtherInfo/TyperNotation"),
        promulgation_amount=r.text(mh, "OtherInfo/PromulgationAmount"),
        page_amount=r.text(mh, "OtherInfo/PageAmount"),
        appendixes=[(e.text or "").strip() for e in r.findall(mh, "OtherInfo/Appendixes/Appendix")],
        steering_type=r.text(mh, "SteeringType"),
        to_places=[(e.text or "").strip() for e in r.findall(mh, "ToPlaces/Place")],
        trace=[
            (r.text(th, "OrganId"), r.text(th, "Timestamp"))
            for th in r.findall(traces, "TraceHeader")
        ],
        business_type=int(business),
        business_reason=r.text(bus, "BussinessDocReason"),
        business_document_id=r.text(bus, "DocumentId"),
        paper=r.text(bus, "Paper"),
        staff=[r.staff(el) for el in r.findall(bus, "StaffInfo")],
        replaced=[
            r.text(el, "DocumentId") for el in r.findall(bus, "ReplacementInfoList/ReplacementInfo")
        ],
        has_signature=_has_signature(header, r.ns),
    )
    for el in r.findall(root, "AttachmentEncoded/Attachment"):
        encoded = r.text(el, "ContentTransferEncoded")
        try:
            data_bytes = base64.b64decode("".join(encoded.split()), validate=True)
        except ValueError:
            name = r.text(el, "AttachmentName")
            raise EdxmlError(f"Tệp đính kèm {name!r} không mã hóa base64 hợp lệ.") from None
        m.attachments.append(
            Attachment(
                name=r.text(el, "AttachmentName"),
                content_type=r.text(el, "ContentType"),
                data=data_bytes,
                content_id=r.text(el, "ContentId"),
                description=r.text(el, "Description"),
            )
        )
    return m
