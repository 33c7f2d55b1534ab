"""The edXML receiving endpoint is cheap to refuse (security issue item 9): a request nobody is
proven to have sent gets an unsigned refusal, and over the per-minute limit of its client
address or of its partner a request gets 429 with `Retry-After`, nothing signed or saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.documents import api, edxml, pki, throttle, xmlsig
from tinhso.documents.models import Document, Partner, ReceiveAttempt

from .test_api import NGHE_AN, URL, _message

SIGNATURE = b"SignatureValue>"  # an XML signature made by this instance


@pytest.fixture
def partner(test_ca) -> pki.KeyPair:
    """UBND tỉnh Nghệ An, a partner on the axis, and its signing keys."""
    keys = pki.issue(test_ca, "UBND tỉnh Nghệ An", "UBND tỉnh Nghệ An")
    Partner.objects.create(
        organ_id=NGHE_AN, name="UBND tỉnh Nghệ An", certificate_pem=keys.certificate_pem
    )
    return keys


@pytest.fixture
def signatures(monkeypatch):
    """Start counting the XML signatures this instance makes (call it once the test's own
    messages are signed); each is still made."""

    def start() -> list[bytes]:
        made: list[bytes] = []
        real = xmlsig.sign

        def counting(xml, keys):
            made.append(keys.certificate_pem)
            return real(xml, keys)

        monkeypatch.setattr(xmlsig, "sign", counting)
        return made

    return start


def _post(client, data: bytes, address: str = "127.0.0.1"):
    return client.post(URL, data=data, content_type="application/xml", REMOTE_ADDR=address)


def _package(to: str, keys: pki.KeyPair, number: int = 15) -> bytes:
    message = _message(to, doc_id=f"{NGHE_AN},2026/03/02,{number}/QĐ-UBND")
    return xmlsig.sign(edxml.build_message(message), keys)


def test_a_request_nobody_is_proven_to_send_gets_an_unsigned_refusal(
    client, offices, partner, test_ca, signatures, monkeypatch
):
    to = offices["STP"].agency.code
    stranger = pki.issue(test_ca, "Người lạ", "Không rõ")
    forged = xmlsig.sign(edxml.build_message(_message(to)), stranger)
    unknown = _message(to)
    unknown.sender = edxml.Organ("000.00.00.H99", "Không rõ")
    unlisted = xmlsig.sign(edxml.build_message(unknown), stranger)
    made = signatures()
    for data, why in [
        (b"<edXML", "không phải XML hợp lệ"),
        (unlisted, "không có trong danh sách liên thông"),
        (forged, "Chữ ký số không hợp lệ"),
        (b"x" * 101, "Gói tin quá lớn."),
    ]:
        if why == "Gói tin quá lớn.":
            monkeypatch.setattr(api, "MAX_PACKAGE_BYTES", 100)
        response = _post(client, data)
        assert response.status_code == 400
        answer = edxml.parse(response.content)
        assert isinstance(answer, edxml.Status)
        assert answer.code == "02" and why in answer.description
        assert SIGNATURE not in response.content
    assert made == []
    assert Document.objects.count() == 0


def test_a_partners_refused_message_is_still_answered_signed(client, offices, partner, signatures):
    """Its signature verified: the partner is told why, by a status it can trust."""
    data = _package("000.00.00.H99", partner)  # addressed to no agency of this instance
    made = signatures()
    response = _post(client, data)
    assert response.status_code == 400
    assert edxml.parse(response.content).code == "02"  # type: ignore[union-attr]
    assert SIGNATURE in response.content
    assert len(made) == 1


def test_over_the_limit_an_address_gets_429_and_nothing_is_signed_or_saved(
    client, offices, partner, settings, signatures
):
    settings.DOCUMENTS_EDXML_RECEIVE_PER_MINUTE = 3
    package = _package(offices["STP"].agency.code, partner)
    made = signatures()
    for _ in range(3):
        assert _post(client, b"<edXML", "10.0.0.7").status_code == 400
    response = _post(client, package, "10.0.0.7")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited"
    assert SIGNATURE not in response.content
    assert made == []
    assert Document.objects.count() == 0
    # another address is not held by it
    assert _post(client, package, "10.0.0.8").status_code == 200
    assert Document.objects.count() == 1


def test_a_partner_over_its_limit_is_told_to_retry_from_any_address(
    client, offices, partner, settings, signatures
):
    settings.DOCUMENTS_EDXML_RECEIVE_PER_MINUTE = 2
    to = offices["STP"].agency.code
    packages = [_package(to, partner, number) for number in (15, 16, 17)]
    made = signatures()
    assert _post(client, packages[0], "10.0.0.1").status_code == 200
    assert _post(client, packages[1], "10.0.0.2").status_code == 200
    response = _post(client, packages[2], "10.0.0.3")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(made) == 2  # the two answers, not the third
    received = sorted(Document.objects.values_list("exchange_id", flat=True))
    assert received == [f"{NGHE_AN},2026/03/02,{n}/QĐ-UBND" for n in (15, 16)]


def test_the_window_slides_and_retry_after_is_the_exact_wait(settings, db):
    settings.DOCUMENTS_EDXML_RECEIVE_PER_MINUTE = 2
    start = timezone.now().replace(second=5, microsecond=0)
    throttle.admit_address("10.0.0.9", now=start)
    throttle.admit_address("10.0.0.9", now=start + timedelta(seconds=10))
    with pytest.raises(throttle.TooManyRequests) as refused:
        throttle.admit_address("10.0.0.9", now=start + timedelta(seconds=20))
    assert refused.value.retry_after == 40  # the first request leaves the window at +60 s
    assert ReceiveAttempt.objects.count() == 2  # a refused request is not written
    throttle.admit_address("10.0.0.9", now=start + timedelta(seconds=61))
    throttle.admit_partner(NGHE_AN, now=start + timedelta(seconds=61))  # its own count
    assert ReceiveAttempt.objects.count() == 4
