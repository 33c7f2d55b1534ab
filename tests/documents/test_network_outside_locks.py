"""Signing (remote service, token, timestamp server) and signature checks (CRL and OCSP
fetches) never run while a transaction holds row locks: the actions sign and verify first,
then lock, check that the document is as it was, and write (issue 11, "network outside
locks"). The tests run without the per-test transaction (`transaction=True`), so
`in_atomic_block` is the action's own."""

from __future__ import annotations

import pytest
from django.db import connection

from tinhso.core.models import AuditRecord
from tinhso.documents import actions, errors, signing
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Document, DocumentFile, IssuedNumber

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(monkeypatch):
    """The real signing and verification, asserting no transaction is open when called."""
    calls: list[str] = []
    real_sign, real_verify = signing.sign_pdf, signing.verify_pdf

    def sign_pdf(*args, **kwargs):
        assert not connection.in_atomic_block, "signing inside a transaction"
        calls.append("sign")
        return real_sign(*args, **kwargs)

    def verify_pdf(*args, **kwargs):
        assert not connection.in_atomic_block, "verifying inside a transaction"
        calls.append("verify")
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(signing, "sign_pdf", sign_pdf)
    monkeypatch.setattr(signing, "verify_pdf", verify_pdf)
    return calls


def _approved(offices, *, to_stp: bool = True) -> Document:
    sxd, stp = offices["SXD"], offices["STP"]
    recipients = [actions.RecipientSpec(stp.agency.code, stp.agency.name)] if to_stp else []
    draft = actions.create_draft(
        sxd.agency,
        doc_type="QD",
        subject="Quyết định phê duyệt",
        signer=sxd.leader,
        recipients=recipients,
        actor=sxd.specialist,
    )
    return actions.approve_draft(draft, actor=sxd.leader)


def test_signing_issuing_and_delivering_sign_and_verify_outside_transactions(offices, watched):
    sxd = offices["SXD"]
    doc = _approved(offices)
    actions.sign_document(doc, signer=sxd.leader)
    issued = actions.issue_document(doc, actor=sxd.clerk)
    assert issued.state == Document.State.ISSUED
    # signer, agency; then the local recipient's check of the issued PDF
    assert watched == ["sign", "sign", "verify"]
    received = Document.objects.get(direction="incoming", agency=offices["STP"].agency)
    assert received.signature_report["files"][issued.files.get(kind="main").name]["ok"]
    actions.update_document(issued, pdf=bytes(actions.main_file(issued).data), actor=sxd.clerk)
    assert watched[-1] == "sign"


def test_a_document_changed_while_it_was_signed_is_refused_and_the_signature_dropped(
    offices, monkeypatch
):
    sxd = offices["SXD"]
    doc = _approved(offices, to_stp=False)
    real_sign = signing.sign_pdf

    def meanwhile(*args, **kwargs):
        # another session signs first (a second tab, the API): the state moves on
        Document.objects.filter(pk=doc.pk).update(state=Document.State.SIGNED)
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(signing, "sign_pdf", meanwhile)
    before = bytes(actions.main_file(doc).data)
    audits = AuditRecord.objects.count()
    with pytest.raises(DocumentError) as refused:
        actions.sign_document(doc, signer=sxd.leader)
    assert refused.value.code is errors.CHANGED_WHILE_SIGNING
    assert refused.value.status == 409
    assert bytes(actions.main_file(doc).data) == before
    assert not doc.files.filter(kind=DocumentFile.Kind.VERSION).exists()
    assert AuditRecord.objects.count() == audits


def test_a_failed_agency_signature_keeps_the_number_for_the_retry(offices, monkeypatch):
    sxd = offices["SXD"]
    doc = _approved(offices, to_stp=False)
    actions.sign_document(doc, signer=sxd.leader)
    real_sign = signing.sign_pdf

    def unreachable(*args, **kwargs):
        raise signing.SigningError("Dịch vụ cấp dấu thời gian không trả lời.")

    monkeypatch.setattr(signing, "sign_pdf", unreachable)
    with pytest.raises(DocumentError) as refused:
        actions.issue_document(doc, actor=sxd.clerk)
    assert refused.value.code is errors.SIGNING_FAILED
    doc.refresh_from_db()
    assert (doc.state, doc.number) == (Document.State.SIGNED, "")
    # the number stays the document's, taken once; the retry uses it: no gap, no double
    assert list(IssuedNumber.objects.values_list("number", "document")) == [(1, doc.pk)]
    monkeypatch.setattr(signing, "sign_pdf", real_sign)
    issued = actions.issue_document(doc, actor=sxd.clerk)
    assert (issued.state, issued.number, issued.register_number) == ("issued", "01", 1)
    assert IssuedNumber.objects.count() == 1
