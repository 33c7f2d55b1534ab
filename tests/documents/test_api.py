"""The receiving endpoint (QCVN 102:2016) and officials' operations over the API."""

from __future__ import annotations

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.documents import actions, edxml, pki, xmlsig
from tinhso.documents.models import Document, Partner, StatusEvent

URL = "/api/v1/documents/edxml"
NGHE_AN = "000.00.00.H41"


@pytest.fixture
def nghe_an(test_ca) -> pki.KeyPair:
    keys = pki.issue(test_ca, "UBND tỉnh Nghệ An", "UBND tỉnh Nghệ An")
    Partner.objects.create(
        organ_id=NGHE_AN,
        name="UBND tỉnh Nghệ An",
        endpoint_url="http://127.0.0.1:9/api/v1/documents/edxml",
        certificate_pem=keys.certificate_pem,
    )
    return keys


def _message(to: str, *, business_type: int = 0, doc_id: str = "") -> edxml.Message:
    return edxml.Message(
        sender=edxml.Organ(NGHE_AN, "UBND tỉnh Nghệ An"),
        recipients=[edxml.Organ(to, "Sở Tư pháp tỉnh Đắk Lắk")],
        document_id=doc_id or f"{NGHE_AN},2026/03/02,15/QĐ-UBND",
        code_number="15",
        code_notation="QĐ-UBND",
        promulgation_date="2026/03/02",
        subject="Về việc phối hợp thẩm định",
        type_name="Quyết định",
        business_type=business_type,
        attachments=[edxml.Attachment("qd.pdf", "application/pdf", b"%PDF-1.7 x")],
    )


def _post(client, data: bytes):
    return client.post(URL, data=data, content_type="application/xml")


def test_receiving_twice_makes_one_record_and_answers_01(client, offices, nghe_an):
    data = xmlsig.sign(edxml.build_message(_message(offices["STP"].agency.code)), nghe_an)
    first = _post(client, data)
    assert first.status_code == 200
    answer = edxml.parse(first.content)
    assert isinstance(answer, edxml.Status)
    assert (answer.code, answer.sender.organ_id) == ("01", offices["STP"].agency.code)
    assert answer.document_id == f"{NGHE_AN},2026/03/02,15/QĐ-UBND"
    stp_cert = actions.agency_certificate(offices["STP"].agency).certificate_pem
    xmlsig.verify(first.content, pki.load_certificate(stp_cert))
    second = _post(client, data)
    assert second.status_code == 200
    docs = Document.objects.filter(direction="incoming")
    assert docs.count() == 1
    doc = docs.get()
    assert (doc.state, doc.number_and_notation, doc.doc_type) == ("received", "15/QĐ-UBND", "QD")
    assert doc.signature_report["xml_signature"] is True
    assert doc.signature_report["files"]["qd.pdf"]["ok"] is False  # not a signed PDF


def test_unknown_sender_and_bad_signature_get_02(client, offices, nghe_an, test_ca):
    to = offices["STP"].agency.code
    stranger = pki.issue(test_ca, "Người lạ", "Không rõ")
    forged = xmlsig.sign(edxml.build_message(_message(to)), stranger)
    response = _post(client, forged)
    assert response.status_code == 400
    answer = edxml.parse(response.content)
    assert isinstance(answer, edxml.Status) and answer.code == "02"
    assert "Chữ ký số không hợp lệ" in answer.description

    unknown = _message(to)
    unknown.sender = edxml.Organ("000.00.00.H99", "Không rõ")
    response = _post(client, xmlsig.sign(edxml.build_message(unknown), stranger))
    answer = edxml.parse(response.content)
    assert isinstance(answer, edxml.Status) and answer.code == "02"
    assert answer.description == "Đơn vị gửi 000.00.00.H99 không có trong danh sách liên thông."

    response = _post(client, b"<edXML")
    assert response.status_code == 400
    assert "không phải XML hợp lệ" in edxml.parse(response.content).description  # type: ignore[union-attr]
    assert Document.objects.count() == 0


def test_revoke_acts_on_the_earlier_document(client, offices, nghe_an):
    to = offices["STP"].agency.code
    _post(client, xmlsig.sign(edxml.build_message(_message(to)), nghe_an))
    revoke = _message(
        to, business_type=edxml.BusinessType.REVOKE, doc_id=f"{NGHE_AN},2026/03/05,16/QĐ-UBND"
    )
    revoke.replaced = [f"{NGHE_AN},2026/03/02,15/QĐ-UBND"]
    assert _post(client, xmlsig.sign(edxml.build_message(revoke), nghe_an)).status_code == 200
    doc = Document.objects.get()
    assert doc.pending_change == "revoke"
    assert Document.objects.count() == 1


def _sign_in(client, user) -> None:
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def test_another_agency_cannot_register_and_nothing_changes(client, offices, nghe_an):
    data = xmlsig.sign(edxml.build_message(_message(offices["STP"].agency.code)), nghe_an)
    _post(client, data)
    doc = Document.objects.get()
    _sign_in(client, offices["SXD"].clerk)
    response = client.post(f"/api/v1/documents/{doc.pk}/register")
    assert response.status_code == 404
    doc.refresh_from_db()
    assert (doc.state, doc.register_id) == ("received", None)
    assert client.get("/api/v1/documents").json() == []

    _sign_in(client, offices["STP"].specialist)  # sees it, but is not the clerk
    assert client.post(f"/api/v1/documents/{doc.pk}/register").status_code == 403
    doc.refresh_from_db()
    assert doc.state == "received"

    _sign_in(client, offices["STP"].clerk)
    response = client.post(f"/api/v1/documents/{doc.pk}/register")
    assert response.status_code == 200
    assert response.json()["register_number"] == 1
    assert StatusEvent.objects.filter(document=doc, code="03", outgoing=True).count() == 1


def test_api_requires_sign_in(client, offices):
    assert client.get("/api/v1/documents").status_code == 401


def test_a_package_larger_than_the_form_limit_is_received(client, offices, nghe_an):
    message = _message(offices["STP"].agency.code)
    big = b"%PDF-1.7 " + bytes(range(256)) * (4 * 1024 * 12)  # about 12 MB
    message.attachments = [edxml.Attachment("lon.pdf", "application/pdf", big)]
    response = _post(client, xmlsig.sign(edxml.build_message(message), nghe_an))
    assert response.status_code == 200, response.content[:500]
    doc = Document.objects.get()
    assert bytes(doc.files.get(kind="main").data) == big
