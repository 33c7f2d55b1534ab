"""Outgoing and incoming documents inside one instance, and the signed PDF they carry."""

from __future__ import annotations

import subprocess

import pytest

from tests.tools import requires_tool
from tinhso.core.models import AuditRecord
from tinhso.documents import actions, signing
from tinhso.documents.models import Document, DocumentFile, Recipient, StatusEvent


def _issue(offices, *, to: str = "STP") -> Document:
    sxd, target = offices["SXD"], offices[to]
    draft = actions.create_draft(
        sxd.agency,
        doc_type="CV",
        unit="QLXD",
        subject="Về việc kiểm tra công trình xây dựng",
        content="Sở Xây dựng đề nghị Sở Tư pháp phối hợp kiểm tra.",
        signer=sxd.leader,
        signer_position="Giám đốc",
        place="Đắk Lắk",
        recipients=[actions.RecipientSpec(target.agency.code, target.agency.name)],
        actor=sxd.specialist,
    )
    actions.approve_draft(draft, actor=sxd.leader)
    actions.sign_document(draft, signer=sxd.leader)
    return actions.issue_document(draft, actor=sxd.clerk)


def test_issue_numbers_signs_and_delivers_inside_the_instance(offices):
    doc = _issue(offices)
    assert doc.state == Document.State.ISSUED
    assert doc.number_and_notation == "01/SXD-QLXD"
    assert doc.exchange_id.endswith(",01/SXD-QLXD")
    assert doc.exchange_id.startswith("000.00.07.H66,")
    incoming = Document.objects.get(direction="incoming", agency=offices["STP"].agency)
    assert incoming.state == Document.State.RECEIVED
    assert incoming.number_and_notation == "01/SXD-QLXD"
    assert incoming.sender_code == "000.00.07.H66"
    report = incoming.signature_report["files"][actions.main_file(incoming).name]
    assert report["ok"] is True
    assert [s["field"] for s in report["signatures"]] == ["ChuKyNguoiCoThamQuyen", "ChuKyCoQuan"]
    assert Recipient.objects.get(document=doc).last_status == "01"


def test_incoming_is_registered_assigned_finished_and_statuses_flow_back(offices):
    doc = _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    actions.register_incoming(incoming, actor=stp.clerk)
    incoming.refresh_from_db()
    assert (incoming.state, incoming.register_number) == ("registered", 1)
    item = actions.assign(
        incoming,
        instruction="Giao chuyên viên xử lý",
        days=3,
        assignee=stp.specialist,
        actor=stp.leader,
    )
    assert item.deadline > incoming.registered_at
    actions.finish(incoming, result="Đã phối hợp", actor=stp.leader)
    codes = list(
        StatusEvent.objects.filter(document=doc, outgoing=False).values_list("code", flat=True)
    )
    assert codes == ["01", "03", "04", "06"]
    assert Recipient.objects.get(document=doc).last_status == "06"
    assert (
        AuditRecord.objects.filter(object_id=str(incoming.pk), action="documents.finish").count()
        == 1
    )


def test_recall_and_update_are_answered_15_or_16(offices):
    doc = _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    actions.update_document(doc, pdf=bytes(actions.main_file(doc).data), actor=offices["SXD"].clerk)
    incoming.refresh_from_db()
    assert incoming.pending_change == "update"
    actions.answer_change(incoming, accept=False, actor=stp.clerk)
    actions.recall_document(doc, reason="Ban hành nhầm", actor=offices["SXD"].clerk)
    incoming.refresh_from_db()
    assert incoming.pending_change == "recall"
    actions.answer_change(incoming, accept=True, actor=stp.clerk)
    incoming.refresh_from_db()
    assert incoming.state == Document.State.RECALLED
    codes = list(
        StatusEvent.objects.filter(document=doc, outgoing=False).values_list("code", flat=True)
    )
    assert codes == ["01", "16", "15"]
    assert list(
        StatusEvent.objects.filter(document=incoming, outgoing=False).values_list("code", flat=True)
    ) == ["13"]


def test_preconditions_refuse_and_change_nothing(offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="QD", subject="Quyết định thử", signer=sxd.leader, actor=sxd.specialist
    )
    with pytest.raises(actions.DocumentError):
        actions.issue_document(draft, actor=sxd.clerk)
    with pytest.raises(actions.DocumentError):
        actions.sign_document(draft, signer=sxd.leader)
    draft.refresh_from_db()
    assert (draft.state, draft.number) == ("draft", "")
    with pytest.raises(actions.DocumentError):
        actions.create_draft(sxd.agency, doc_type="QD", subject="  ", actor=sxd.specialist)
    with pytest.raises(actions.DocumentError):
        actions.create_draft(sxd.agency, doc_type="QD", subject="x", pdf=b"GIF89a", actor=None)
    assert Document.objects.count() == 1


def _pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


@requires_tool("pdfsig")
def test_signed_pdf_passes_pdfsig_and_pyhanko_and_a_tampered_one_fails_both(
    offices, tmp_path, test_ca
):
    doc = _issue(offices)
    data = bytes(actions.main_file(doc).data)
    good = tmp_path / "signed.pdf"
    good.write_bytes(data)
    out = _pdfsig(good)
    assert out.count("Signature Validation: Signature is Valid.") == 2
    assert "ChuKyNguoiCoThamQuyen" in out and "ChuKyCoQuan" in out
    assert "Total document signed" in out
    result = signing.verify_pdf(data, [test_ca.certificate])
    assert result.ok and len(result.signatures) == 2
    assert result.signatures[-1].covers_whole_file

    # Change one byte inside the signed range (the page content stream).
    tampered = bytearray(data)
    at = data.index(b"stream", 100) + 20
    tampered[at] = (tampered[at] + 1) % 256
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    out_bad = _pdfsig(bad)
    assert "Signature is Valid." not in out_bad
    assert not signing.verify_pdf(bytes(tampered), [test_ca.certificate]).ok

    # A different root is not trusted.
    from tinhso.documents import pki

    other = pki.make_test_ca("other")
    untrusted = signing.verify_pdf(data, [other.certificate])
    assert not untrusted.ok and all(s.intact and not s.trusted for s in untrusted.signatures)


def test_separate_attachment_gets_the_clerks_text_line(offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency,
        doc_type="QD",
        subject="Quyết định có phụ lục",
        signer=sxd.leader,
        actor=sxd.specialist,
    )
    annex = actions.main_file(draft).data
    DocumentFile.objects.create(
        document=draft,
        kind="attachment",
        name="phu-luc.pdf",
        content_type="application/pdf",
        data=annex,
        sha256="",
    )
    actions.approve_draft(draft, actor=sxd.leader)
    actions.sign_document(draft, signer=sxd.leader)
    doc = actions.issue_document(draft, actor=sxd.clerk)
    att = doc.files.get(kind="attachment")
    check = signing.verify_pdf(bytes(att.data), actions.trusted_roots())
    assert check.ok and [s.field_name for s in check.signatures] == ["ChuKyCoQuanPhuLuc"]
    assert doc.number_and_notation == "01/QĐ-SXD"
    line = signing.signing_time_line("01/QĐ-SXD", doc.registered_at)
    assert line.startswith("01/QĐ-SXD 20") and line.endswith("+07:00")


@requires_tool("pdfsig")
def test_visible_signatures_carry_the_signature_and_seal_images(offices, tmp_path):
    from tinhso.documents import stamps
    from tinhso.documents.models import Certificate

    sxd = offices["SXD"]
    Certificate.objects.filter(owner_user=sxd.leader).update(stamp_image=stamps.signature())
    Certificate.objects.filter(owner_agency=sxd.agency).update(stamp_image=stamps.seal("SXD"))
    doc = _issue(offices)
    data = bytes(actions.main_file(doc).data)
    assert data.count(b"/Subtype /Image") >= 2
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    assert _pdfsig(path).count("Signature is Valid.") == 2
    assert signing.verify_pdf(data, actions.trusted_roots()).ok
    with pytest.raises(signing.SigningError, match="Ảnh chữ ký hoặc con dấu không đọc được"):
        signing.sign_pdf(
            data,
            actions.signing_key(actions.agency_certificate(sxd.agency)),
            field_name="X",
            stamp_text="x",
            box=signing.AGENCY_BOX,
            image=b"not a png",
        )


def test_stamps_sit_above_the_signers_name_with_the_seal_over_its_left_third(offices):
    import io

    from pypdf import PdfReader

    doc = _issue(offices)
    page = PdfReader(io.BytesIO(bytes(actions.main_file(doc).data))).pages[-1]
    rects = {}
    for annot in page["/Annots"]:
        field = annot.get_object()
        rects[str(field["/T"])] = [round(float(v)) for v in field["/Rect"]]
    signer, agency = rects["ChuKyNguoiCoThamQuyen"], rects["ChuKyCoQuan"]
    assert signer != list(signing.SIGNER_BOX)  # placed from the name, not the default
    third = (signer[2] - signer[0]) // 3
    assert (agency[0], agency[2]) == (signer[0] - third, signer[0] + third)
    assert agency[1] < signer[1] and agency[3] > signer[3]
