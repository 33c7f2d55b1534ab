"""Outbox handlers: deliver edXML packages and status messages over the document axis.

Legal source: QCVN 102:2016/BTTTT (messages and statuses); Decree 30/2020/NĐ-CP Điều 21.2
(notify the sender the same day). Delivery is at least once; the receiver is idempotent on
DocumentId, so a repeated delivery makes no second record.
"""

from __future__ import annotations

from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.documents import actions, edxml, exchange
from tinhso.documents.models import Document, DocumentFile, Partner, Recipient


def _endpoint(organ_id: str) -> str:
    partner = Partner.objects.filter(organ_id=organ_id, is_active=True).first()
    if partner is None or not partner.endpoint_url:
        raise outbox.PermanentError(f"Không có địa chỉ nhận của đơn vị {organ_id}.")
    return partner.endpoint_url


def _answer(body: bytes) -> tuple[str, str]:
    try:
        status = edxml.parse(body)
    except edxml.EdxmlError as exc:
        raise outbox.RetryableError(f"Trả lời không đọc được: {exc}") from None
    if not isinstance(status, edxml.Status):
        raise outbox.PermanentError("Trả lời không phải gói tin trạng thái.")
    return status.code, status.description


@outbox.handler(actions.SEND_PACKAGE)
def send_package(message: OutboxMessage) -> None:
    package = DocumentFile.objects.get(pk=message.payload["file"])
    recipient = Recipient.objects.select_related("document").get(pk=message.payload["recipient"])
    delivery = exchange.post(_endpoint(recipient.organ_id), bytes(package.data))
    code, description = _answer(delivery.body)
    actions.record_delivery(recipient, code, description)


@outbox.handler(actions.SEND_STATUS)
def send_status(message: OutboxMessage) -> None:
    doc = Document.objects.select_related("agency").get(pk=message.payload["document"])
    body = actions.status_message(doc, message.payload["code"], message.payload["description"])
    delivery = exchange.post(_endpoint(message.payload["to"]), body)
    if delivery.http_status >= 400:
        _code, description = _answer(delivery.body)
        raise outbox.PermanentError(f"Trạng thái bị từ chối: {description}")
