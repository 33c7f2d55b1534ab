"""edXML (QCVN 102:2016): the SDK samples parse; our messages round-trip and verify with
our code and with `xmlsec1 --verify`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import SHARED
from tests.tools import requires_tool
from tinhso.documents import edxml, pki, xmlsig

SAMPLES = SHARED / "domain" / "samples" / "edxml" / "truclienthong-example"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")


@needs_samples
@pytest.mark.parametrize(
    ("name", "business_type", "recipients"),
    [
        ("edoc_new.edxml", 0, 1),
        ("edoc_revocation.edxml", 1, 3),
        ("edoc_update.edxml", 2, None),
        ("edoc_replacement.edxml", 3, None),
        ("dc0bdef0-c7a3-4aaf-b717-777303442973.edxml", 0, 3),
    ],
)
def test_sample_document_messages_parse(name, business_type, recipients):
    m = edxml.parse((SAMPLES / name).read_bytes())
    assert isinstance(m, edxml.Message)
    assert m.business_type == business_type
    assert m.has_signature
    if recipients is not None:
        assert len(m.recipients) == recipients
    assert m.attachments and m.attachments[0].content_type == "application/zip"
    assert m.attachments[0].data[:2] == b"PK"
    if name.startswith("dc0b"):
        assert m.sender.organ_id == "000.00.00.G22"
        assert m.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
        assert [r.organ_id for r in m.recipients] == [
            "000.00.00.H41",
            "000.00.00.H14",
            "000.00.00.G17",
        ]


@needs_samples
def test_sample_new_message_fields():
    m = edxml.parse((SAMPLES / "edoc_new.edxml").read_bytes())
    assert isinstance(m, edxml.Message)
    assert (m.sender.organ_id, m.recipients[0].organ_id) == ("000.00.00.A80", "28.22.H17")
    assert m.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert m.type_name == "Công văn" and m.promulgation_date == "2019/01/16"
    assert m.trace == [("000.00.00.G22", "2018/09/28 00:00:00")]
    assert m.business_reason == "Văn bản điện tử mới"
    assert m.to_places == ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"]


@needs_samples
def test_sample_replacement_names_the_replaced_document():
    m = edxml.parse((SAMPLES / "edoc_replacement.edxml").read_bytes())
    assert isinstance(m, edxml.Message)
    assert m.replaced and m.target_document_id == m.replaced[0]


@needs_samples
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("status_inbox_ 01.edxml", "01"),
        ("status_rejection_02.edxml", "02"),
        ("status_acceptance_03.edxml", "03"),
        ("status_assignment_04.edxml", "04"),
        ("status_processing_05.edxml", "05"),
        ("status_finish_06.edxml", "06"),
        ("status_cancellation_13.edxml", "13"),
        ("status_change-acceptance_15.edxml", "15"),
        ("status_change-rejection_16.edxml", "16"),
    ],
)
def test_sample_status_messages_parse(name, code):
    s = edxml.parse((SAMPLES / name).read_bytes())
    assert isinstance(s, edxml.Status)
    assert s.code == code
    assert s.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    # The recipient (UBND Nghệ An) reports; a withdrawal (13) comes from the sender (VPCP).
    assert s.sender.organ_id == ("000.00.00.G22" if code == "13" else "000.00.00.H41")


@needs_samples
def test_every_sample_but_the_malformed_one_parses():
    names = sorted(p.name for p in SAMPLES.glob("*.edxml"))
    assert len(names) == 16
    for name in names:
        if name == "edoc.edxml":
            continue
        edxml.parse((SAMPLES / name).read_bytes())


@needs_samples
def test_malformed_sample_gives_a_clear_error():
    with pytest.raises(edxml.EdxmlError) as err:
        edxml.parse((SAMPLES / "edoc.edxml").read_bytes())
    assert str(err.value).startswith(
        "Gói tin không phải XML hợp lệ: Opening and ending tag mismatch"
    )
    assert "(dòng 74)" in str(err.value)


@needs_samples
def test_sample_signatures_cannot_be_verified(test_ca):
    with pytest.raises(xmlsig.SignatureError, match="không theo không gian tên XMLDSig"):
        xmlsig.verify((SAMPLES / "edoc_new.edxml").read_bytes(), test_ca.certificate)


def _message() -> edxml.Message:
    return edxml.Message(
        sender=edxml.Organ("000.00.00.H66", "UBND tỉnh Đắk Lắk"),
        recipients=[edxml.Organ("000.00.00.H41", "UBND tỉnh Nghệ An")],
        document_id="000.00.00.H66,2026/03/02,15/QĐ-UBND",
        code_number="15",
        code_notation="QĐ-UBND",
        promulgation_date="2026/03/02",
        subject="Về việc thử nghiệm liên thông",
        type_name="Quyết định",
        trace=[("000.00.00.H66", "2026/03/02 10:00:00")],
        staff=[edxml.Staff("Văn thư", "Nguyễn Thị Văn Thư", "0912000001", "vt@example.vn")],
        attachments=[edxml.Attachment("qd.pdf", "application/pdf", b"%PDF-1.7 noi dung")],
    )


def test_build_parse_round_trip():
    data = edxml.to_bytes(edxml.build_message(_message(), signature_placeholder=False))
    back = edxml.parse(data)
    assert isinstance(back, edxml.Message)
    assert back.document_id == "000.00.00.H66,2026/03/02,15/QĐ-UBND"
    assert (back.code_number, back.code_notation, back.subject) == (
        "15",
        "QĐ-UBND",
        "Về việc thử nghiệm liên thông",
    )
    assert back.attachments[0].data == b"%PDF-1.7 noi dung"
    assert back.staff[0].staff == "Nguyễn Thị Văn Thư"
    assert b'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"' in data


def test_status_round_trip_and_bad_code():
    s = edxml.Status(
        sender=edxml.Organ("000.00.00.H41", "UBND tỉnh Nghệ An"),
        response_organ_id="000.00.00.H66",
        response_code="15/QĐ-UBND",
        response_date="2026/03/02",
        document_id="000.00.00.H66,2026/03/02,15/QĐ-UBND",
        code="04",
        description="Phân công xử lý",
        timestamp="2026/03/02 11:00:00",
    )
    back = edxml.parse(edxml.to_bytes(edxml.build_status(s, signature_placeholder=False)))
    assert isinstance(back, edxml.Status)
    assert (back.code, back.response_code, back.description) == (
        "04",
        "15/QĐ-UBND",
        "Phân công xử lý",
    )
    s.code = "07"
    with pytest.raises(edxml.EdxmlError, match="Mã trạng thái không hợp lệ: 07"):
        edxml.build_status(s)


def test_not_edxml_is_refused():
    with pytest.raises(edxml.EdxmlError, match="không phải edXML"):
        edxml.parse(b"<html/>")


def _xmlsec(path: Path, ca_pem: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(ca_pem), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@requires_tool("xmlsec1")
def test_signed_message_verifies_with_our_code_and_xmlsec1(tmp_path, test_ca):
    keys = pki.issue(test_ca, "UBND tỉnh Đắk Lắk", "UBND tỉnh Đắk Lắk")
    data = xmlsig.sign(edxml.build_message(_message()), keys)
    xmlsig.verify(data, keys.certificate)
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_text(test_ca.certificate_pem)
    good = tmp_path / "good.edxml"
    good.write_bytes(data)
    result = _xmlsec(good, ca_pem)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr

    bad = tmp_path / "bad.edxml"
    bad.write_bytes(data.replace("thử nghiệm".encode(), "giả mạo".encode()))
    assert _xmlsec(bad, ca_pem).returncode != 0
    with pytest.raises(xmlsig.SignatureError, match="Digest mismatch"):
        xmlsig.verify(bad.read_bytes(), keys.certificate)

    stranger = pki.issue(test_ca, "Người lạ", "Không rõ")
    with pytest.raises(xmlsig.SignatureError):
        xmlsig.verify(data, stranger.certificate)
    status = edxml.Status(
        sender=edxml.Organ("000.00.00.H41", "UBND tỉnh Nghệ An"),
        response_organ_id="000.00.00.H66",
        response_code="15/QĐ-UBND",
        response_date="2026/03/02",
        document_id="000.00.00.H66,2026/03/02,15/QĐ-UBND",
        code="06",
        description="Hoàn thành",
        timestamp="2026/03/02 11:00:00",
    )
    signed_status = tmp_path / "status.edxml"
    signed_status.write_bytes(xmlsig.sign(edxml.build_status(status), keys))
    assert _xmlsec(signed_status, ca_pem).returncode == 0
