"""The data store's actions: upload, delete, share, official reads, results entered."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.dossiers import support
from tests.dossiers.backoffice import ready_draft
from tinhso.core import outbox
from tinhso.core.models import AuditRecord
from tinhso.datastore import actions, errors
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import DocumentKind, DocumentShare, StoredDocument, StoredDocumentRead
from tinhso.dossiers import actions as dossier_actions
from tinhso.dossiers.datastore import store_for


def test_seeded_kinds_carry_national_result_codes(db):
    kinds = dict(DocumentKind.objects.values_list("code", "national_code"))
    assert kinds["GKS"] == "KQ.G15.000031"
    assert kinds["TL-CMC"] == "KQ.G15.000033"
    assert kinds["GCN-DKDN"] == "KQ.G12.001044"
    assert kinds["GCN-QSDD"] == "KQ.G10.001147"
    assert kinds["CCCD"] == ""
    assert DocumentKind.objects.get(code="CCCD").name == "Căn cước công dân"


def test_citizen_uploads_a_document(citizen, upload, cccd):
    content = support.pdf_bytes("CCCD")
    doc = upload(issued_on=date(2021, 5, 1), expires_on=date(2036, 5, 1))
    doc.refresh_from_db()
    assert (doc.citizen.user, doc.organisation, doc.kind, doc.number) == (
        citizen,
        None,
        cccd,
        "066090001234",
    )
    assert doc.provenance == "uploaded" and doc.signature == "none"
    assert doc.sha256 == hashlib.sha256(content).hexdigest() and doc.size == len(content)
    assert doc.file_kind == "pdf" and doc.file_name == "cccd.pdf"
    with doc.file.open("rb") as f:
        assert f.read() == content
    record = AuditRecord.objects.get(action="datastore.uploaded")
    assert (record.actor, record.object_id) == (citizen, str(doc.pk))


def test_upload_refuses_a_file_that_is_not_what_it_says(citizen, cccd):
    with pytest.raises(DatastoreError) as refused:
        actions.upload(user=citizen, kind=cccd, file_name="cccd.pdf", content=b"MZ not a pdf")
    assert refused.value.code is errors.FILE_REJECTED
    assert "không phải là tệp hợp lệ" in refused.value.errors["file"]
    assert StoredDocument.objects.count() == 0


def test_upload_refuses_expiry_before_issue(citizen, upload):
    with pytest.raises(DatastoreError) as refused:
        upload(issued_on=date(2021, 5, 1), expires_on=date(2021, 5, 1))
    assert refused.value.errors == {"expires_on": "Ngày hết hạn phải sau ngày cấp."}
    assert StoredDocument.objects.count() == 0


def test_an_official_without_citizen_record_has_no_store(justice_official, cccd):
    with pytest.raises(DatastoreError) as refused:
        actions.upload(
            user=justice_official, kind=cccd, file_name="a.pdf", content=support.pdf_bytes()
        )
    assert refused.value.code is errors.NO_STORE


def test_citizen_deletes_own_upload_and_its_file(
    citizen, upload, django_capture_on_commit_callbacks
):
    doc = upload()
    storage, name = doc.file.storage, doc.file.name
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_upload(doc, user=citizen)
    assert not StoredDocument.objects.filter(pk=doc.pk).exists()
    assert not storage.exists(name)
    assert (
        AuditRecord.objects.filter(action="datastore.deleted", object_id=str(doc.pk)).count() == 1
    )


def test_digitised_and_issued_documents_cannot_be_deleted_by_the_citizen(
    citizen, cccd, justice_official
):
    doc = actions.digitise(
        citizen.citizen,
        officer=justice_official,
        kind=cccd,
        file_name="cccd.pdf",
        content=support.pdf_bytes(),
    )
    assert doc.signature == "certified_copy" and doc.digitised_by == justice_official
    with pytest.raises(DatastoreError) as refused:
        actions.delete_upload(doc, user=citizen)
    assert refused.value.code is errors.ISSUED_DOCUMENT
    assert refused.value.status == 409
    assert StoredDocument.objects.filter(pk=doc.pk).exists()
    assert not AuditRecord.objects.filter(action="datastore.deleted").exists()


def test_another_citizen_cannot_delete_or_share(citizen, other_citizen, upload, agencies):
    doc = upload()
    with pytest.raises(DatastoreError) as refused:
        actions.delete_upload(doc, user=other_citizen)
    assert refused.value.code is errors.DOCUMENT_NOT_FOUND
    with pytest.raises(DatastoreError) as refused:
        actions.share(doc, user=other_citizen, agency=agencies["STP"])
    assert refused.value.code is errors.DOCUMENT_NOT_FOUND
    assert StoredDocument.objects.filter(pk=doc.pk).exists()
    assert DocumentShare.objects.count() == 0


def test_share_lasts_the_configured_days(citizen, upload, agencies, settings):
    settings.DATASTORE_SHARE_DAYS = 3
    doc = upload()
    now = timezone.now()
    share = actions.share(doc, user=citizen, agency=agencies["STP"], now=now)
    assert share.expires_at == now + timedelta(days=3)
    assert actions.share(doc, user=citizen, agency=agencies["STP"], days=1, now=now).expires_at == (
        now + timedelta(days=1)
    )
    with pytest.raises(DatastoreError) as refused:
        actions.share(doc, user=citizen, agency=agencies["STP"], days=4)
    assert refused.value.errors == {"days": "Số ngày chia sẻ phải từ 1 đến 3 ngày."}
    assert DocumentShare.objects.count() == 2


def test_expired_document_is_not_shared(citizen, upload, agencies):
    doc = upload(issued_on=date(2010, 1, 1), expires_on=date(2020, 1, 1))
    with pytest.raises(DatastoreError) as refused:
        actions.share(doc, user=citizen, agency=agencies["STP"])
    assert refused.value.code is errors.EXPIRED_DOCUMENT
    assert DocumentShare.objects.count() == 0


def test_official_read_is_recorded(citizen, upload, justice_official, agencies):
    doc = upload()
    read = actions.record_read(
        doc, official=justice_official, agency=agencies["STP"], reason="Thẩm định hồ sơ"
    )
    assert (read.document, read.official, read.agency, read.reason) == (
        doc,
        justice_official,
        agencies["STP"],
        "Thẩm định hồ sơ",
    )
    rec = AuditRecord.objects.get(action="personal_data.read")
    assert (rec.actor, rec.object_id, rec.changes) == (
        justice_official,
        str(doc.pk),
        {"fields": ["file"]},
    )
    with pytest.raises(DatastoreError):
        actions.record_read(doc, official=justice_official, agency=None, reason="  ")
    assert StoredDocumentRead.objects.count() == 1


def test_a_read_without_an_account_must_name_its_reader(citizen, upload):
    doc = upload()
    before = AuditRecord.objects.count()
    with pytest.raises(DatastoreError) as refused:
        actions.record_read(doc, official=None, agency=None, reason="Xuất tệp", actor_label=" ")
    assert refused.value.code is errors.READER_REQUIRED
    assert (StoredDocumentRead.objects.count(), AuditRecord.objects.count()) == (0, before)
    read = actions.record_read(
        doc, official=None, agency=None, reason="Xuất tệp", actor_label="quản trị hệ thống"
    )
    assert (read.official, read.actor_label, read.reader, str(read)) == (
        None,
        "quản trị hệ thống",
        "quản trị hệ thống",
        "quản trị hệ thống · Căn cước công dân 066090001234",
    )
    rec = AuditRecord.objects.get(action="personal_data.read")
    assert (rec.actor, rec.actor_label) == (None, "quản trị hệ thống")


def test_returned_result_enters_the_store_once(office, citizen):
    dossier = office.received()
    dossier_actions.assign(dossier, officer=office.truongphong, to=office.chuyenvien)
    dossier_actions.forward(dossier, officer=office.chuyenvien)
    dossier_actions.approve(dossier, officer=office.lanhdao)
    result = dossier_actions.attach_result(
        dossier, "Phiếu lý lịch tư pháp số 12", support.pdf_bytes("kq"), officer=office.vanthu
    )
    dossier_actions.mark_ready(dossier, officer=office.vanthu)
    dossier_actions.return_result(dossier, officer=office.tiepnhan, how="online")
    assert not StoredDocument.objects.exists()  # entered after commit, by the worker
    while outbox.run_once():
        pass
    doc = StoredDocument.objects.get()
    dossier.refresh_from_db()
    assert (doc.citizen.user, doc.provenance, doc.source_result, doc.source_dossier_code) == (
        citizen,
        "dossier_result",
        result,
        dossier.code,
    )
    assert doc.kind.code == "LLTP"  # the procedure's result name matches the seeded kind
    assert (doc.issuer, doc.file.name, doc.sha256) == (
        dossier.agency,
        result.file.name,
        result.sha256,
    )
    assert actions.add_result(dossier) == []  # again: nothing entered twice
    assert StoredDocument.objects.count() == 1
    # the picker offers it once, under the ref the dossier's attach understands
    docs = store_for(citizen).documents()
    assert [(d.ref, d.source) for d in docs] == [
        (f"result:{result.pk}", f"Kết quả hồ sơ {dossier.code}")
    ]
    with pytest.raises(DatastoreError) as refused:
        actions.delete_upload(doc, user=citizen)
    assert refused.value.code is errors.ISSUED_DOCUMENT


def test_store_for_offers_results_and_uploads_but_not_expired(
    version, citizen, other_citizen, upload
):
    """The store holds the earlier result and the unexpired upload (a dossier file can point
    to either, `from_result` / `from_stored`), newest first; the expired one is left out."""
    earlier = dossier_actions.submit(ready_draft(version, citizen), user=citizen)
    result = dossier_actions.issue_result(
        earlier, "Phiếu lý lịch tư pháp số 1", support.pdf_bytes("kq"), officer=None
    )
    kept = upload(number="A1")
    upload(number="OLD", issued_on=date(2000, 1, 1), expires_on=date(2010, 1, 1))
    store = store_for(citizen)
    refs = [d.ref for d in store.documents()]
    assert refs == [f"doc:{kept.pk}", f"result:{result.pk}"]
    assert store.get(f"doc:{kept.pk}").name == "Căn cước công dân A1"
    assert store.read(f"doc:{kept.pk}") == support.pdf_bytes("CCCD")
    assert store_for(other_citizen).documents() == []
    assert store_for(other_citizen).get(f"doc:{kept.pk}") is None
    with pytest.raises(LookupError):
        store_for(other_citizen).read(f"doc:{kept.pk}")


def test_an_organisations_document_is_its_members_only(citizen, other_citizen, db):
    from tinhso.datastore import queries
    from tinhso.people.models import Organisation

    company = Organisation.objects.create(tax_code="6000123456", name="Công ty TNHH An Bình")
    company.members.add(citizen)
    doc = actions.add_from_national_store(
        company,
        kind=DocumentKind.objects.get(code="GCN-DKDN"),
        file_name="dkdn.pdf",
        content=support.pdf_bytes("DKDN"),
        national_ref="https://dichvucong.gov.vn/kho/abc",
        number="6000123456",
    )
    assert (doc.provenance, doc.national_ref, doc.citizen) == (
        "national_store",
        "https://dichvucong.gov.vn/kho/abc",
        None,
    )
    assert queries.access_document(citizen, doc.pk) == doc
    with pytest.raises(DatastoreError) as refused:
        queries.access_document(other_citizen, doc.pk)
    assert refused.value.code is errors.DOCUMENT_NOT_FOUND
    with pytest.raises(DatastoreError) as refused:
        actions.delete_upload(doc, user=citizen)  # the member may not delete what was issued
    assert refused.value.code is errors.ISSUED_DOCUMENT
    assert [d.pk for d in queries.documents_of(company)] == [doc.pk]


@pytest.mark.parametrize(
    ("filing", "relation"),
    [("self", ""), ("on_behalf", "con")],
    ids=["counter-typo", "on-behalf"],
)
def test_result_enters_the_owners_store_never_the_typed_applicants(
    version, citizen, other_citizen, filing, relation
):
    """A typed applicant ID that is not the owner's own (a counter typo, or the person a
    dossier was filed for) does not route the result: it goes to the owner, who filed and
    already sees it; the other citizen's store stays empty."""
    from tinhso.dossiers.models import Dossier

    dossier = dossier_actions.submit(ready_draft(version, citizen), user=citizen)
    Dossier.objects.filter(pk=dossier.pk).update(
        applicant_personal_id="066195000777", filing=filing, on_behalf_relation=relation
    )
    dossier.refresh_from_db()
    result = dossier_actions.issue_result(
        dossier, "Phiếu lý lịch tư pháp số 7", support.pdf_bytes("kq"), officer=None
    )
    StoredDocument.objects.all().delete()  # whatever issuing entered: add_result alone decides
    entered = actions.add_result(dossier)
    assert [(d.citizen.user, d.source_result) for d in entered] == [(citizen, result)]
    assert not StoredDocument.objects.filter(citizen__user=other_citizen).exists()
    assert store_for(other_citizen).documents() == []


def test_result_enters_the_applicants_store_when_it_is_the_owners_own_id(version, citizen):
    from tinhso.dossiers.models import Dossier

    dossier = dossier_actions.submit(ready_draft(version, citizen), user=citizen)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_personal_id="066090001234")
    dossier.refresh_from_db()
    result = dossier_actions.issue_result(
        dossier, "Phiếu lý lịch tư pháp số 8", support.pdf_bytes("kq"), officer=None
    )
    StoredDocument.objects.all().delete()
    [doc] = actions.add_result(dossier)
    assert (doc.citizen.personal_id, doc.citizen.user, doc.source_result) == (
        "066090001234",
        citizen,
        result,
    )


def test_result_of_an_owner_without_citizen_record_enters_nowhere(
    version, citizen, other_citizen, justice_official
):
    from tinhso.dossiers.models import Dossier

    dossier = dossier_actions.submit(ready_draft(version, citizen), user=citizen)
    Dossier.objects.filter(pk=dossier.pk).update(
        owner=justice_official, applicant_personal_id="066195000777"
    )
    dossier.refresh_from_db()
    dossier_actions.issue_result(
        dossier, "Phiếu lý lịch tư pháp số 9", support.pdf_bytes("kq"), officer=None
    )
    StoredDocument.objects.all().delete()
    assert actions.add_result(dossier) == []
    assert not StoredDocument.objects.exists()


def _stored_files() -> list[str]:
    storage = StoredDocument._meta.get_field("file").storage
    return sorted(storage.listdir("datastore")[1]) if storage.exists("datastore") else []


def test_uploads_stop_at_the_owners_document_limit(
    citizen, other_citizen, upload, cccd, justice_official, settings
):
    settings.DATASTORE_MAX_DOCUMENTS = 2
    upload(content=support.pdf_bytes("A"))
    upload(content=support.pdf_bytes("B"))
    before = (_state_of_store(), _stored_files())
    with pytest.raises(DatastoreError) as refused:
        upload(content=support.pdf_bytes("C"))
    assert refused.value.code is errors.STORE_FULL
    assert refused.value.errors == {
        "file": "Ông/Bà đã tải lên kho 2 giấy tờ, là số tối đa; hãy xóa bớt giấy tờ không cần "
        "trước khi tải thêm."
    }
    assert (_state_of_store(), _stored_files()) == before  # no row, no audit, no orphan file
    # what an agency issued or digitised is not counted and still enters; others are apart
    from tinhso.people.models import Citizen

    actions.digitise(
        Citizen.objects.get(user=citizen),
        officer=justice_official,
        kind=cccd,
        file_name="so-hoa.pdf",
        content=support.pdf_bytes("D"),
    )
    upload(user=other_citizen, content=support.pdf_bytes("E"))
    assert StoredDocument.objects.filter(citizen__user=citizen).count() == 3


def test_uploads_stop_at_the_owners_total_size(citizen, upload, settings):
    first = upload(content=support.pdf_bytes("A"))
    settings.DATASTORE_MAX_BYTES = 2 * 1024 * 1024
    StoredDocument.objects.filter(pk=first.pk).update(size=2 * 1024 * 1024 - 10)
    before = (_state_of_store(), _stored_files())
    with pytest.raises(DatastoreError) as refused:
        upload(content=support.pdf_bytes("B"))
    assert refused.value.code is errors.STORE_TOO_LARGE
    assert refused.value.errors == {
        "file": "Tổng dung lượng giấy tờ Ông/Bà tải lên kho sẽ vượt 2,0 MB; hãy xóa bớt giấy tờ "
        "không cần trước khi tải thêm."
    }
    assert (_state_of_store(), _stored_files()) == before
    StoredDocument.objects.filter(pk=first.pk).update(size=1024)
    assert upload(content=support.pdf_bytes("B")).size == len(support.pdf_bytes("B"))


def _state_of_store() -> tuple:
    return (
        list(StoredDocument.objects.order_by("pk").values_list("pk", "size")),
        AuditRecord.objects.count(),
    )


def test_add_result_uses_the_recorded_seal_check_and_verifies_nothing(
    version, citizen, monkeypatch
):
    """add_result runs inside the outbox's transaction: it never re-verifies the PAdES seal
    (revocation checks may reach the network) but takes the outcome recorded when the
    result was sealed (verify.ElectronicResult.signature_valid)."""
    from tinhso.dossiers.models import DossierResult
    from tinhso.verify import actions as verify_actions
    from tinhso.verify.models import ElectronicResult

    dossier = dossier_actions.submit(ready_draft(version, citizen), user=citizen)
    valid = dossier_actions.issue_result(
        dossier, "Phiếu lý lịch tư pháp số 21", support.pdf_bytes("kq21"), officer=None
    )
    invalid, unsealed = (
        DossierResult.objects.create(
            dossier=dossier,
            name=f"Phiếu lý lịch tư pháp số {n}",
            kind="pdf",
            size=valid.size,
            sha256=valid.sha256,
            file=valid.file.name,
            issued_at=valid.issued_at,
        )
        for n in (22, 23)
    )
    ElectronicResult.objects.filter(result=unsealed).delete()
    for n, (result, ok) in enumerate(((valid, True), (invalid, False))):
        ElectronicResult.objects.update_or_create(
            result=result,
            defaults={
                "code": f"TEST{n}",
                "sha256": result.sha256,
                "kind_name": "Phiếu lý lịch tư pháp",
                "number": "1",
                "issuer_name": "Sở Tư pháp",
                "issued_on": date(2026, 1, 1),
                "signed_at": timezone.now(),
                "signer": "Sở Tư pháp",
                "signature_valid": ok,
            },
        )

    def no_check(*args, **kwargs):
        raise AssertionError("add_result must not verify a signature")

    monkeypatch.setattr(verify_actions, "check_signature", no_check)
    StoredDocument.objects.all().delete()
    entered = actions.add_result(dossier)
    assert [(d.source_result, d.signature) for d in entered] == [
        (valid, "agency_verified"),
        (invalid, "none"),
        (unsealed, "none"),
    ]


def test_an_expired_stored_result_is_neither_offered_nor_attachable(version, citizen):
    """A result whose store row has expired does not come back as an earlier result: the
    picker leaves it out and `resolve` refuses it."""
    earlier = dossier_actions.submit(ready_draft(version, citizen), user=citizen)
    result = dossier_actions.issue_result(
        earlier, "Phiếu lý lịch tư pháp số 31", support.pdf_bytes("kq31"), officer=None
    )
    StoredDocument.objects.all().delete()
    [doc] = actions.add_result(earlier)
    ref = f"result:{result.pk}"
    store = store_for(citizen)
    assert [d.ref for d in store.documents()] == [ref]
    assert store.resolve(ref) == (doc, result)
    StoredDocument.objects.filter(pk=doc.pk).update(
        issued_on=date(2000, 1, 1), expires_on=date(2010, 1, 1)
    )
    assert store.documents() == []
    assert store.resolve(ref) == (None, None)
