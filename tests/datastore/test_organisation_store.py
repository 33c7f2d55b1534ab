"""The organisation's store: its members see, download, share and upload to it and delete
only uploads; everyone else is refused on every page and endpoint, and nothing changes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.dossiers import support
from tinhso.core.models import AuditRecord
from tinhso.datastore import actions, errors
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import DocumentKind, DocumentShare, StoredDocument
from tinhso.people.models import Organisation


def _state() -> dict:
    return {
        "documents": list(StoredDocument.objects.order_by("pk").values()),
        "shares": list(DocumentShare.objects.order_by("pk").values()),
        "audit": AuditRecord.objects.count(),
    }


@pytest.fixture
def company(citizen) -> Organisation:
    organisation = Organisation.objects.create(
        tax_code="6000123456", name="Công ty TNHH Cà phê Ea Tu"
    )
    organisation.members.add(citizen)
    return organisation


@pytest.fixture
def licence(company) -> StoredDocument:
    """An agency's paper in the organisation's store (fetched from the national store)."""
    return actions.add_from_national_store(
        company,
        kind=DocumentKind.objects.get(code="GCN-DKDN"),
        file_name="gcn-dkdn.pdf",
        content=support.pdf_bytes("GCN DKDN"),
        national_ref="https://kho.example/giay-to/1",
        number="6000123456",
    )


def test_a_member_keeps_the_organisations_store(
    client, citizen, company, licence, upload, cccd, agencies
):
    own = upload(number="CCCD-RIENG")
    client.force_login(citizen)
    mine = client.get("/kho-du-lieu/").content.decode()
    # the switcher, and the personal store without the organisation's papers
    assert (
        f'<a href="/kho-du-lieu/to-chuc/{company.pk}/">Kho của Công ty TNHH Cà phê Ea Tu</a>'
        in mine
    )
    assert "Kho của tôi" in mine and "CCCD-RIENG" in mine and "6000123456" not in mine
    page = client.get(f"/kho-du-lieu/to-chuc/{company.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Kho dữ liệu của Công ty TNHH Cà phê Ea Tu</h1>" in html
    assert "6000123456" in html and "CCCD-RIENG" not in html
    assert f"/kho-du-lieu/{own.pk}/" not in html
    # upload into the organisation's store
    assert client.get(f"/kho-du-lieu/to-chuc/{company.pk}/tai-len/").status_code == 200
    response = client.post(
        f"/kho-du-lieu/to-chuc/{company.pk}/tai-len/",
        {
            "kind": cccd.pk,
            "number": "UQ-01",
            "file": SimpleUploadedFile("uq.pdf", support.pdf_bytes("UQ")),
        },
    )
    added = StoredDocument.objects.get(number="UQ-01")
    assert response.status_code == 302 and response["Location"] == f"/kho-du-lieu/{added.pk}/"
    assert (added.organisation, added.citizen, added.provenance) == (company, None, "uploaded")
    assert AuditRecord.objects.filter(action="datastore.uploaded", object_id=str(added.pk)).exists()
    # see, download, share, revoke the agency's paper; it cannot be deleted
    detail = client.get(f"/kho-du-lieu/{licence.pk}/").content.decode()
    assert "Kho của Công ty TNHH Cà phê Ea Tu" in detail and "Xóa giấy tờ khỏi kho" not in detail
    download = client.get(f"/kho-du-lieu/{licence.pk}/tep/")
    assert b"".join(download.streaming_content) == support.pdf_bytes("GCN DKDN")
    assert (
        client.post(
            f"/kho-du-lieu/{licence.pk}/chia-se/", {"agency": agencies["STP"].pk, "days": "1"}
        ).status_code
        == 302
    )
    share = DocumentShare.objects.get(document=licence)
    assert client.post(f"/kho-du-lieu/{licence.pk}/chia-se/{share.pk}/thu-hoi/").status_code == 302
    share.refresh_from_db()
    assert share.revoked_by == citizen
    before = _state()
    refused = client.post(f"/kho-du-lieu/{licence.pk}/xoa/", {"confirm": "1"})
    assert refused.status_code == 409 and _state() == before
    # the upload can be deleted, back to the organisation's list
    gone = client.post(f"/kho-du-lieu/{added.pk}/xoa/", {"confirm": "1"})
    assert gone.status_code == 302 and gone["Location"] == f"/kho-du-lieu/to-chuc/{company.pk}/"
    assert not StoredDocument.objects.filter(pk=added.pk).exists()


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/kho-du-lieu/to-chuc/{org}/"),
        ("get", "/kho-du-lieu/to-chuc/{org}/tai-len/"),
        ("post", "/kho-du-lieu/to-chuc/{org}/tai-len/"),
        ("get", "/kho-du-lieu/{pk}/"),
        ("get", "/kho-du-lieu/{pk}/tep/"),
        ("post", "/kho-du-lieu/{pk}/xoa/"),
        ("post", "/kho-du-lieu/{pk}/chia-se/"),
        ("post", "/kho-du-lieu/{pk}/chia-se/{share}/thu-hoi/"),
    ],
)
def test_a_non_member_is_refused_everywhere(
    client, citizen, other_citizen, company, cccd, agencies, method, path
):
    uploaded = actions.upload(
        user=citizen,
        organisation=company,
        kind=cccd,
        file_name="uq.pdf",
        content=support.pdf_bytes("UQ"),
        number="UQ-BI-MAT",
    )
    share = actions.share(uploaded, user=citizen, agency=agencies["STP"])
    client.force_login(other_citizen)
    before = _state()
    data = {
        "agency": agencies["STP"].pk,
        "days": "1",
        "confirm": "1",
        "kind": cccd.pk,
        "file": SimpleUploadedFile("x.pdf", support.pdf_bytes("X")),
    }
    url = path.format(org=company.pk, pk=uploaded.pk, share=share.pk)
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert "UQ-BI-MAT" not in response.content.decode()
    assert "Ea Tu" not in response.content.decode()
    assert _state() == before
    assert "Ea Tu" not in client.get("/kho-du-lieu/").content.decode()  # no switcher either


def test_the_upload_action_refuses_a_non_member(other_citizen, company, cccd):
    with pytest.raises(DatastoreError) as refused:
        actions.upload(
            user=other_citizen,
            organisation=company,
            kind=cccd,
            file_name="x.pdf",
            content=support.pdf_bytes("X"),
        )
    assert refused.value.code is errors.STORE_NOT_FOUND
    assert not StoredDocument.objects.exists()


def test_a_hostile_organisation_id_is_a_404(client, citizen, company):
    client.force_login(citizen)
    assert client.get("/kho-du-lieu/to-chuc/99999999999999999999999/").status_code == 404
