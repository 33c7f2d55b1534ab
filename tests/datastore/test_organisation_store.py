"""The organisation's store: its members see, download, share and upload to it and delete
only uploads; everyone else is refused on every page and endpoint, and nothing changes."""

from __future__ import annotations

import re
from pathlib import Path

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
    licence_kind = DocumentKind.objects.get(code="GCN-DKDN")
    response = client.post(
        f"/kho-du-lieu/to-chuc/{company.pk}/tai-len/",
        {
            "kind": licence_kind.pk,
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
    revoke = f"/kho-du-lieu/{licence.pk}/chia-se/{share.pk}/thu-hoi/"
    assert client.post(revoke, {"confirm": "1"}).status_code == 302
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
        ("get", "/kho-du-lieu/{pk}/chia-se/{share}/thu-hoi/"),
        ("post", "/kho-du-lieu/{pk}/chia-se/{share}/thu-hoi/"),
        ("get", "/kho-du-lieu/to-chuc/{org}/ai-da-xem/"),
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


def _kinds_offered(html: str) -> set[str]:
    select = html[html.index('name="kind"') : html.index("</select>", html.index('name="kind"'))]
    return set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select))


def test_the_organisations_upload_offers_its_kinds_and_refuses_a_personal_one(
    client, citizen, company, cccd
):
    client.force_login(citizen)
    page = f"/kho-du-lieu/to-chuc/{company.pk}/tai-len/"
    offered = _kinds_offered(client.get(page).content.decode())
    assert offered == set(
        DocumentKind.objects.filter(code__in=DocumentKind.ORGANISATION_CODES).values_list(
            "name", flat=True
        )
    )
    assert "Giấy chứng nhận đăng ký doanh nghiệp" in offered
    assert not offered & {"Giấy khai sinh", "Hộ chiếu", "Căn cước công dân"}
    # the personal store still offers the personal kinds
    personal = _kinds_offered(client.get("/kho-du-lieu/tai-len/").content.decode())
    assert {"Giấy khai sinh", "Hộ chiếu"} <= personal
    # a personal kind posted to the organisation's form is a form error; nothing changes
    before = _state()
    refused = client.post(
        page,
        {"kind": cccd.pk, "number": "X-1", "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")},
    )
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.content.decode()
    assert _state() == before


def test_an_organisations_upload_says_the_organisation_uploaded_it(
    client, citizen, company, upload
):
    own = upload(number="CCCD-RIENG")
    added = actions.upload(
        user=citizen,
        organisation=company,
        kind=DocumentKind.objects.get(code="GCN-DKDN"),
        file_name="dkdn.pdf",
        content=support.pdf_bytes("DKDN"),
        number="DKDN-01",
    )
    assert added.provenance_label == "tổ chức tự tải lên"
    assert own.provenance_label == "công dân tự tải lên"
    client.force_login(citizen)
    detail = client.get(f"/kho-du-lieu/{added.pk}/").content.decode()
    listed = client.get(f"/kho-du-lieu/to-chuc/{company.pk}/").content.decode()
    for html in (detail, listed):
        assert "Tổ chức tự tải lên" in html and "Công dân tự tải lên" not in html
    assert "Công dân tự tải lên" in client.get(f"/kho-du-lieu/{own.pk}/").content.decode()


def test_the_organisations_pages_link_to_its_own_reads(
    client, citizen, company, licence, justice_official, agencies
):
    actions.record_read(
        licence, official=justice_official, agency=agencies["STP"], reason="Kiểm tra giấy phép"
    )
    client.force_login(citizen)
    reads = f"/kho-du-lieu/to-chuc/{company.pk}/ai-da-xem/"
    for path in (
        f"/kho-du-lieu/to-chuc/{company.pk}/",
        f"/kho-du-lieu/to-chuc/{company.pk}/tai-len/",
        f"/kho-du-lieu/{licence.pk}/",
    ):
        html = client.get(path).content.decode()
        assert f'href="{reads}"' in html and 'href="/kho-du-lieu/ai-da-xem/"' not in html
    page = client.get(reads).content.decode()
    assert "Ai đã xem giấy tờ của Công ty TNHH Cà phê Ea Tu" in page
    assert "Kiểm tra giấy phép" in page and "Lê Văn Tư" in page
    # the personal page is the citizen's own store's, not the organisation's
    personal = client.get("/kho-du-lieu/ai-da-xem/").content.decode()
    assert "Kiểm tra giấy phép" not in personal
    assert 'href="/kho-du-lieu/ai-da-xem/"' in client.get("/kho-du-lieu/").content.decode()


def test_the_switcher_marks_the_open_store(client, citizen, company, licence):
    client.force_login(citizen)
    org = f"/kho-du-lieu/to-chuc/{company.pk}/"

    def marked(html: str) -> dict[str, str]:
        start = html.index('class="stores"')
        nav = html[start : html.index("</nav>", start)]
        return dict(re.findall(r'<a href="([^"]+)" aria-current="(page|true)"', nav))

    assert marked(client.get("/kho-du-lieu/").content.decode()) == {"/kho-du-lieu/": "page"}
    assert marked(client.get(org).content.decode()) == {org: "page"}
    # on another page of a store, that store is still marked (not as this page)
    assert marked(client.get(f"/kho-du-lieu/{licence.pk}/").content.decode()) == {org: "true"}
    assert marked(client.get("/kho-du-lieu/tai-len/").content.decode()) == {"/kho-du-lieu/": "true"}
    css = (
        Path(__file__).resolve().parents[2] / "src/tinhso/datastore/static/datastore/datastore.css"
    ).read_text()
    assert "nav.stores ul.actions a[aria-current]" in css and "display: block" in css
