"""Reuse by reference and digitisation at the counter (issue 14, once only): what is offered
for which component, attaching by reference (no copy), another citizen's document refused
with nothing changed, the officer's provenance line, the offer's query count, and the
officer's certified scan entering the citizen's store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.dossiers import support
from tests.dossiers.backoffice import Office, ready_draft
from tests.factories import sign_in
from tinhso.core import audit
from tinhso.core.models import AuditRecord
from tinhso.datastore import actions as store_actions
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import DocumentKind, StoredDocument
from tinhso.documents import actions as documents
from tinhso.documents import pki, stamps
from tinhso.documents.models import TrustedRoot
from tinhso.dossiers import actions
from tinhso.dossiers.actions import digitisation
from tinhso.dossiers.datastore import matches, store_for
from tinhso.dossiers.models import Dossier, DossierFile


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.fixture
def draft(version, citizen):
    return actions.start_draft(version, user=citizen)


@pytest.fixture
def cccd_component(version):
    return version.components.get(code="CCCD")


def test_offer_rule_kind_code_or_name_and_valid_only(version, citizen, upload, cccd):
    tk = version.components.get(code="TK")
    cccd_component = version.components.get(code="CCCD")
    mine = upload()
    expired = upload(
        issued_on=date(2010, 1, 1), expires_on=timezone.localdate() - timedelta(days=1)
    )
    licence = upload(kind=DocumentKind.objects.get(code="GPLX"), file_name="gplx.pdf")
    offers = store_for(citizen).offers([tk, cccd_component])
    assert [d.ref for d in offers[cccd_component.pk]] == [mine.ref]  # not expired, not GPLX
    assert offers[tk.pk] == []
    assert expired.ref not in {d.ref for d in store_for(citizen).documents()}
    assert licence.ref in {d.ref for d in store_for(citizen).documents()}
    # by name, folded: a component named after the kind, whatever its code
    cccd_component.code = ""
    cccd_component.name = "Bản chụp CĂN CƯỚC CÔNG DÂN của người yêu cầu"
    assert matches(cccd_component, store_for(citizen).get(mine.ref))
    cccd_component.name = "Bản chụp căn cước"  # "căn cước công dân" does not occur
    assert not matches(cccd_component, store_for(citizen).get(mine.ref))


def test_attach_by_reference_no_copy_and_marked_reused(draft, citizen, upload, cccd_component):
    mine = upload()
    item = actions.attach_from_datastore(draft, cccd_component.pk, mine.ref, user=citizen)
    assert item.from_stored == mine and item.reused and item.size == 0
    assert item.file.name == mine.file.name and item.sha256 == mine.sha256  # the same file
    assert item.from_result is None and not item.from_national_store
    # chosen twice: refused
    with pytest.raises(actions.DossierError):
        actions.attach_from_datastore(draft, cccd_component.pk, mine.ref, user=citizen)
    # the citizen cannot delete an upload a dossier points to
    with pytest.raises(DatastoreError) as refused:
        store_actions.delete_upload(mine, user=citizen)
    assert refused.value.code.id == "datastore.document_in_use"
    # removing it from the draft leaves the store's file in place
    actions.remove_file(item, user=citizen)
    assert StoredDocument.objects.filter(pk=mine.pk).exists()
    assert mine.file.storage.exists(mine.file.name)


def test_a_document_of_another_kind_is_refused_for_the_component(draft, citizen, upload, version):
    licence = upload(kind=DocumentKind.objects.get(code="GPLX"), file_name="gplx.pdf")
    tk = version.components.get(code="TK")
    with pytest.raises(actions.DossierError) as refused:
        actions.attach_from_datastore(draft, tk.pk, licence.ref, user=citizen)
    assert refused.value.code.id == "dossiers.stored_document_not_for_component"
    assert not draft.files.exists()


def test_another_citizens_document_is_refused_404_and_changes_nothing(
    client, draft, citizen, other_citizen, upload, cccd_component
):
    theirs = upload(user=other_citizen, number="066090009999")
    before = (DossierFile.objects.count(), AuditRecord.objects.count())
    client.force_login(citizen)
    response = client.post(
        reverse("dossiers:draft-pick", args=[draft.pk]),
        {"component": cccd_component.pk, "ref": theirs.ref},
    )
    assert response.status_code == 404
    for forged in (f"doc:{theirs.pk + 1000}", "doc:x", "result:1", ""):
        response = client.post(
            reverse("dossiers:draft-pick", args=[draft.pk]),
            {"component": cccd_component.pk, "ref": forged},
        )
        assert response.status_code == 404
    assert (DossierFile.objects.count(), AuditRecord.objects.count()) == before
    with pytest.raises(actions.DossierError):
        actions.attach_from_datastore(draft, cccd_component.pk, theirs.ref, user=citizen)
    # the page does not offer it either
    page = client.get(reverse("dossiers:draft-files", args=[draft.pk])).content.decode()
    assert theirs.ref not in page


def test_files_page_offers_and_picks_then_officer_sees_provenance(
    client, office, upload, justice_official
):
    citizen = office.citizen
    mine = upload(user=citizen)
    draft = ready_draft(office.version, citizen)
    component = office.version.components.get(code="CCCD")
    client.force_login(citizen)
    page = client.get(reverse("dossiers:draft-files", args=[draft.pk])).content.decode()
    # the offer says the document's signature state, so a citizen can tell a signed copy
    assert f'<option value="{mine.ref}" data-signature="none">' in page
    assert "(không có chữ ký số)</option>" in page
    client.post(
        reverse("dossiers:draft-pick", args=[draft.pk]),
        {"component": component.pk, "ref": mine.ref},
    )
    item = draft.files.get(component=component)
    assert item.from_stored == mine and item.reused
    # submitted and received: the officer sees where it came from
    dossier = actions.submit(draft, user=citizen)
    actions.receive(dossier, officer=office.tiepnhan)
    sign_in(client, office.tiepnhan)
    page = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert "Tái sử dụng từ kho dữ liệu: tải lên bởi công dân" in page
    assert 'data-signature="none"' in page
    # opening it is a read the owner sees
    client.get(reverse("dossiers:office-file", args=[dossier.code, "giay-to", item.pk]))
    assert mine.reads.filter(official=office.tiepnhan).exists()


def test_offer_query_count_does_not_grow_with_documents(version, citizen, upload):
    components = list(version.components.all())
    upload()
    with CaptureQueriesContext(connection) as few:
        store_for(citizen).offers(components)
    for n in range(15):
        upload(number=f"0660900{n:05d}")
    with CaptureQueriesContext(connection) as many:
        offers = store_for(citizen).offers(components)
    assert len(many) == len(few) <= 3
    assert len(offers[version.components.get(code="CCCD").pk]) == 16


# -- digitisation at the counter ------------------------------------------------------------


@pytest.fixture(scope="module")
def test_ca() -> pki.KeyPair:
    return pki.make_test_ca("tinhso TEST CA (so hoa)")


@pytest.fixture
def officer_key(office, test_ca):
    TrustedRoot.objects.create(name="TEST CA", certificate_pem=test_ca.certificate_pem)
    return documents.add_certificate(
        pki.issue(test_ca, "Trần Thị Bình", office.agencies["centre"].name),
        owner_user=office.tiepnhan,
        chain=(test_ca.certificate,),
        is_test=True,
        stamp_image=stamps.signature(),
    )


def _counter_dossier(office) -> Dossier:
    tk = office.version.components.get(code="TK")
    return actions.intake(
        office.version,
        officer=office.tiepnhan,
        channel="counter",
        personal_id="066195000999",
        full_name="Trần Thị Thu Hương",
        form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
        components=[actions.PaperComponent(tk.pk, "to-khai.pdf", support.pdf_bytes("tk"), True)],
        delivery="counter",
    )


def test_officer_digitises_a_component_into_the_citizens_store(office, officer_key):
    from tinhso.core.models import OutboxMessage
    from tinhso.documents import signing
    from tinhso.ioc import rollups

    dossier = _counter_dossier(office)
    component = office.version.components.get(code="CCCD")
    last = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    item = digitisation.digitise_component(
        dossier,
        component.pk,
        officer=office.tiepnhan,
        kind=DocumentKind.objects.get(code="CCCD"),
        file_name="cccd.jpg",
        content=support.jpeg_bytes(),
        number="066195000999",
        issuer_name="Cục Cảnh sát QLHC về TTXH",
        issued_on=date(2021, 4, 1),
        expires_on=date(2035, 3, 8),
    )
    stored = item.from_stored
    assert item.digitised and not item.reused and item.kind == "pdf"
    assert stored.provenance == "digitised" and stored.signature == "certified_copy"
    assert stored.digitised_by == office.tiepnhan
    assert stored.source_dossier_code == dossier.code
    assert stored.citizen.personal_id == "066195000999"
    assert item.file.name == stored.file.name
    with stored.file.open("rb") as handle:
        check = signing.verify_pdf(handle.read(), documents.trusted_roots(), revocation="off")
    assert check.ok and check.signatures[0].field_name == digitisation.FIELD_NAME
    assert AuditRecord.objects.filter(action="dossier.component_digitised").count() == 1
    assert AuditRecord.objects.filter(action="datastore.digitised").count() == 1
    queued = OutboxMessage.objects.filter(topic=rollups.TOPIC, pk__gt=last)
    assert list(queued.values_list("payload", flat=True)) == [{"dossier": dossier.pk}]
    # the citizen's next dossier is offered the copy
    offers = store_for(dossier.owner).offers([component])[component.pk]
    assert [d.ref for d in offers] == [stored.ref]


def test_digitise_page_and_refusals(client, office, officer_key, citizen):
    dossier = _counter_dossier(office)
    component = office.version.components.get(code="CCCD")
    sign_in(client, office.tiepnhan)
    page = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert "Số hóa thành phần này" in page
    cccd = DocumentKind.objects.get(code="CCCD")
    assert f'<option value="{cccd.pk}" selected>' in page  # the component's kind preselected
    url = reverse("dossiers:office-digitise", args=[dossier.code])
    before = (StoredDocument.objects.count(), DossierFile.objects.count())
    # no kind, a file that is not a scan: nothing written
    scan = _file("cccd.pdf", support.pdf_bytes("cccd"))
    client.post(url, {"component": component.pk, "kind": "", "file": scan})
    bad = _file("cccd.docx", b"PK\x03\x04 not really")
    client.post(url, {"component": component.pk, "kind": cccd.pk, "file": bad})
    assert (StoredDocument.objects.count(), DossierFile.objects.count()) == before
    scan = _file("cccd.pdf", support.pdf_bytes("cccd"))
    response = client.post(url, {"component": component.pk, "kind": cccd.pk, "file": scan})
    assert response.status_code == 302
    page = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert "Bản số hóa tại quầy: số hóa bởi" in page and 'data-signature="certified_copy"' in page
    # an online dossier is not digitised at the counter; a citizen cannot post the form
    online = office.received()
    assert not digitisation.may_digitise(office.tiepnhan, online)
    client.force_login(citizen)
    scan = _file("cccd.pdf", support.pdf_bytes("cccd"))
    response = client.post(url, {"component": component.pk, "kind": cccd.pk, "file": scan})
    assert response.status_code in (302, 403, 404)
    assert StoredDocument.objects.count() == before[0] + 1


def test_digitise_without_a_key_is_refused_and_writes_nothing(office):
    dossier = _counter_dossier(office)
    component = office.version.components.get(code="CCCD")
    before = (StoredDocument.objects.count(), DossierFile.objects.count())
    with pytest.raises(DatastoreError) as refused:
        digitisation.digitise_component(
            dossier,
            component.pk,
            officer=office.tiepnhan,
            kind=DocumentKind.objects.get(code="CCCD"),
            file_name="cccd.pdf",
            content=support.pdf_bytes("cccd"),
        )
    assert refused.value.code.id == "datastore.officer_has_no_key"
    assert (StoredDocument.objects.count(), DossierFile.objects.count()) == before


def test_digitise_rechecks_the_dossier_under_the_lock_and_writes_nothing(
    office, officer_key, monkeypatch
):
    """The dossier is withdrawn while the scan is being signed: the check made before
    signing is made again on the locked row, and the refusal writes nothing."""
    from tinhso.dossiers import errors as dossier_errors

    dossier = _counter_dossier(office)
    component = office.version.components.get(code="CCCD")
    certify = digitisation.certify

    def certify_while_withdrawn(pdf, officer, *, pin=""):
        signed = certify(pdf, officer, pin=pin)
        Dossier.objects.filter(pk=dossier.pk).update(state=Dossier.State.WITHDRAWN)
        return signed

    monkeypatch.setattr(digitisation, "certify", certify_while_withdrawn)
    before = (StoredDocument.objects.count(), DossierFile.objects.count(), _stored_files())
    audits = AuditRecord.objects.count()
    with pytest.raises(actions.DossierError) as refused:
        digitisation.digitise_component(
            dossier,
            component.pk,
            officer=office.tiepnhan,
            kind=DocumentKind.objects.get(code="CCCD"),
            file_name="cccd.pdf",
            content=support.pdf_bytes("cccd"),
        )
    assert refused.value.code is dossier_errors.NOT_A_PAPER_DOSSIER
    after = (StoredDocument.objects.count(), DossierFile.objects.count(), _stored_files())
    assert after == before
    assert AuditRecord.objects.count() == audits


def test_digitise_refuses_a_decompression_bomb_as_a_rejected_scan(office, officer_key, monkeypatch):
    """A scan whose pixels exceed Pillow's limit is refused with the typed SCAN_REJECTED
    (a 422 message on the page), not a DecompressionBombError (500); nothing is written."""
    from PIL import Image

    from tinhso.dossiers import errors as dossier_errors

    dossier = _counter_dossier(office)
    component = office.version.components.get(code="CCCD")
    # the upload check passes (as for a scan just under its limit); Pillow's own limit trips
    monkeypatch.setattr(digitisation, "check_file", lambda *args, **kwargs: "png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4)
    before = (StoredDocument.objects.count(), DossierFile.objects.count())
    with pytest.raises(actions.DossierError) as refused:
        digitisation.digitise_component(
            dossier,
            component.pk,
            officer=office.tiepnhan,
            kind=DocumentKind.objects.get(code="CCCD"),
            file_name="cccd.png",
            content=support.png_bytes(),
        )
    assert refused.value.code is dossier_errors.SCAN_REJECTED
    assert (StoredDocument.objects.count(), DossierFile.objects.count()) == before


def _stored_files() -> list[str]:
    storage = StoredDocument._meta.get_field("file").storage
    return sorted(storage.listdir("datastore")[1]) if storage.exists("datastore") else []


def test_office_fixture_is_the_one_the_dossier_tests_use(office):
    assert isinstance(office, Office)


# -- reuse at the counter's intake --------------------------------------------------------


def _intake_post(office, personal_id: str, ref: str, component) -> dict:
    tk = office.version.components.get(code="TK")
    return {
        "channel": "counter",
        "personal_id": personal_id,
        "full_name": "Nguyễn Văn An",
        "ho_ten": "Nguyễn Văn An",
        "ngay_sinh": "1990-05-12",
        "delivery": "counter",
        f"component-{tk.pk}": _file("to-khai.pdf", support.pdf_bytes("tk")),
        f"digitised-{tk.pk}": "on",
        f"stored-{component.pk}": ref,
    }


def test_counter_intake_offers_and_attaches_the_citizens_stored_document(client, office, upload):
    citizen = office.citizen
    mine = upload(user=citizen)
    component = office.version.components.get(code="CCCD")
    personal_id = citizen.citizen.personal_id
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-intake", args=[office.version.procedure.code])
    reads = AuditRecord.objects.filter(action=audit.READ_PERSONAL_DATA)
    before = reads.count()
    page = client.get(url, {"cccd": personal_id}).content.decode()
    # the offer says the document's signature state, so the officer can tell a signed copy
    assert f'<option value="{mine.ref}">Căn cước' in page
    assert "(không có chữ ký số)</option>" in page
    assert reads.count() == before + 1  # looking into the citizen's store is a read
    response = client.post(url, _intake_post(office, personal_id, mine.ref, component))
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(owner=citizen, channel="counter")
    item = dossier.files.get(component=component)
    assert item.from_stored == mine and item.reused and item.file.name == mine.file.name


def test_counter_intake_refused_post_lists_offers_only_with_the_audited_read(
    client, office, upload
):
    """A POST refused and shown again lists the typed citizen's store: that listing is the
    same audited read of their personal data as the GET look-up, never an unaudited one."""
    mine = upload(user=office.citizen)
    component = office.version.components.get(code="CCCD")
    personal_id = office.citizen.citizen.personal_id
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-intake", args=[office.version.procedure.code])
    reads = AuditRecord.objects.filter(action=audit.READ_PERSONAL_DATA)
    before = reads.count()
    form = _intake_post(office, personal_id, "", component)
    del form[f"stored-{component.pk}"]
    response = client.post(url, {**form, "full_name": "", "ho_ten": ""})
    assert response.status_code == 422
    assert f'<option value="{mine.ref}">' in response.content.decode()
    assert reads.count() == before + 1
    read = reads.latest("pk")
    assert (read.actor, read.object_id) == (office.tiepnhan, str(office.citizen.citizen.pk))
    assert not Dossier.objects.filter(channel="counter").exists()


def test_counter_intake_refuses_another_citizens_document_404(
    client, office, upload, other_citizen
):
    theirs = upload(user=other_citizen, number="066090009999")
    component = office.version.components.get(code="CCCD")
    personal_id = office.citizen.citizen.personal_id
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-intake", args=[office.version.procedure.code])
    before = (Dossier.objects.count(), DossierFile.objects.count(), AuditRecord.objects.count())
    response = client.post(url, _intake_post(office, personal_id, theirs.ref, component))
    assert response.status_code == 404
    assert (
        Dossier.objects.count(),
        DossierFile.objects.count(),
        AuditRecord.objects.count(),
    ) == before
