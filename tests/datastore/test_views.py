"""The citizen's pages of the data store, and every refusal of another's document."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.dossiers import support
from tests.dossiers.test_office_views import sign_in
from tinhso.core.models import AuditRecord
from tinhso.datastore import actions, queries
from tinhso.datastore.models import DocumentShare, StoredDocument, StoredDocumentRead


def _state() -> dict:
    return {
        "documents": list(StoredDocument.objects.order_by("pk").values()),
        "shares": list(DocumentShare.objects.order_by("pk").values()),
        "reads": list(StoredDocumentRead.objects.order_by("pk").values()),
        "audit": AuditRecord.objects.count(),
    }


def test_list_shows_documents_with_expired_marked(client, citizen, upload):
    upload(number="CCCD-1", issued_on=date(2021, 5, 1), expires_on=date(2036, 5, 1))
    upload(number="CU-2", issued_on=date(2001, 1, 1), expires_on=date(2011, 1, 1))
    client.force_login(citizen)
    page = client.get("/kho-du-lieu/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Kho dữ liệu của tôi</h1>" in html
    assert "CCCD-1" in html and "CU-2" in html
    assert html.count("(đã hết hạn)") == 1
    assert "Công dân tự tải lên" in html
    assert "01/05/2036" in html


def test_account_page_links_to_the_store(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("people:account")).content.decode()
    assert '<a href="/kho-du-lieu/">Kho dữ liệu của tôi</a>' in html


def test_upload_page_adds_a_document(client, citizen, cccd):
    client.force_login(citizen)
    assert client.get("/kho-du-lieu/tai-len/").status_code == 200
    response = client.post(
        "/kho-du-lieu/tai-len/",
        {
            "kind": cccd.pk,
            "number": "066090001234",
            "issuer_name": "Bộ Công an",
            "issued_on": "2021-05-01",
            "expires_on": "",
            "file": SimpleUploadedFile("cccd.pdf", support.pdf_bytes("CCCD")),
        },
    )
    doc = StoredDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/kho-du-lieu/{doc.pk}/"
    assert (doc.number, doc.issuer_name, doc.issued_on, doc.expires_on) == (
        "066090001234",
        "Bộ Công an",
        date(2021, 5, 1),
        None,
    )


def test_upload_page_shows_a_rejected_file_beside_its_field(client, citizen, cccd):
    client.force_login(citizen)
    response = client.post(
        "/kho-du-lieu/tai-len/",
        {"kind": cccd.pk, "file": SimpleUploadedFile("cccd.pdf", b"not a pdf at all")},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_file-loi" role="alert"' in html and "không phải là tệp hợp lệ" in html
    assert not StoredDocument.objects.exists()


def test_detail_download_share_and_delete(client, citizen, upload, agencies, justice_official):
    doc = upload()
    client.force_login(citizen)
    html = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert "Xóa giấy tờ khỏi kho" in html and "Tạo đường dẫn chia sẻ" in html
    download = client.get(f"/kho-du-lieu/{doc.pk}/tep/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == support.pdf_bytes("CCCD")
    shared = client.post(
        f"/kho-du-lieu/{doc.pk}/chia-se/", {"agency": agencies["STP"].pk, "days": "2"}
    )
    assert shared.status_code == 302
    share = DocumentShare.objects.get()
    link = f"/kho-du-lieu/chia-se/{queries.share_token(share)}/"
    assert link in client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    # the official of the named agency opens it: the link shows a confirmation, recording
    # nothing; confirming records the read (shown to the citizen) and sends the file
    sign_in(client, justice_official)
    confirm = client.get(link)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert f'<form method="post" action="{link}"' in page and "Xem giấy tờ" in page
    assert not StoredDocumentRead.objects.exists()
    opened = client.post(link, {"reason": "Thẩm định hồ sơ số 12"})
    assert opened.status_code == 200
    assert b"".join(opened.streaming_content) == support.pdf_bytes("CCCD")
    read = StoredDocumentRead.objects.get()
    assert (read.official, read.agency, read.reason) == (
        justice_official,
        agencies["STP"],
        "Thẩm định hồ sơ số 12",
    )
    client.force_login(citizen)
    reads = client.get("/kho-du-lieu/ai-da-xem/").content.decode()
    assert "Lê Văn Tư" in reads and agencies["STP"].name in reads
    kept = client.post(f"/kho-du-lieu/{doc.pk}/xoa/")  # without ticking the confirmation
    assert kept.status_code == 302 and kept["Location"] == f"/kho-du-lieu/{doc.pk}/"
    assert StoredDocument.objects.filter(pk=doc.pk).exists()
    assert "Hãy đánh dấu ô xác nhận" in client.get(kept["Location"]).content.decode()
    gone = client.post(f"/kho-du-lieu/{doc.pk}/xoa/", {"confirm": "1"})
    assert gone.status_code == 302 and gone["Location"] == "/kho-du-lieu/"
    assert not StoredDocument.objects.exists()


def test_delete_of_an_issued_document_is_refused_on_the_page(
    client, citizen, cccd, justice_official
):
    doc = actions.digitise(
        citizen.citizen,
        officer=justice_official,
        kind=cccd,
        file_name="cccd.pdf",
        content=support.pdf_bytes(),
    )
    client.force_login(citizen)
    html = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert "Xóa giấy tờ khỏi kho" not in html
    before = _state()
    response = client.post(
        f"/kho-du-lieu/{doc.pk}/xoa/",
        {"confirm": "1"},
        HTTP_REFERER=f"http://testserver/kho-du-lieu/{doc.pk}/",
    )
    assert response.status_code == 303
    assert response["Location"] == f"http://testserver/kho-du-lieu/{doc.pk}/"
    assert _state() == before
    shown = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert "Ông/Bà chỉ xóa được giấy tờ mình tự tải lên." in shown


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/kho-du-lieu/{pk}/"),
        ("get", "/kho-du-lieu/{pk}/tep/"),
        ("post", "/kho-du-lieu/{pk}/xoa/"),
        ("post", "/kho-du-lieu/{pk}/chia-se/"),
    ],
)
def test_another_citizens_document_is_refused_everywhere(
    client, citizen, other_citizen, upload, agencies, method, path
):
    doc = upload()
    actions.record_read(doc, official=citizen, agency=None, reason="kiểm thử")
    client.force_login(other_citizen)
    before = _state()
    data = {"agency": agencies["STP"].pk, "days": "1"} if method == "post" else None
    response = getattr(client, method)(path.format(pk=doc.pk), data)
    assert response.status_code == 404
    assert _state() == before
    assert "CCCD" not in response.content.decode()
    assert "kiểm thử" not in client.get("/kho-du-lieu/ai-da-xem/").content.decode()
    assert "066090001234" not in client.get("/kho-du-lieu/").content.decode()


def test_a_shared_link_is_refused_to_everyone_but_the_named_agency(
    client, citizen, other_citizen, upload, agencies, committee_official
):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    link = f"/kho-du-lieu/chia-se/{queries.share_token(share)}/"
    sign_in(client, committee_official)  # enrolled before the snapshot (that is audited)
    before = _state()
    for user in (committee_official, other_citizen, citizen):
        if user is committee_official:
            sign_in(client, user)
        else:
            client.force_login(user)
        assert client.get(link).status_code == 404
        assert client.post(link, {"reason": "Xem"}).status_code == 404
    client.logout()
    assert client.get(link).status_code == 302  # to sign-in
    assert client.post(link, {"reason": "Xem"}).status_code == 302
    assert _state() == before


def test_forged_and_expired_links_are_refused(client, citizen, upload, agencies, justice_official):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    token = queries.share_token(share)
    sign_in(client, justice_official)
    assert client.get(f"/kho-du-lieu/chia-se/{token[:-2]}xx/").status_code == 404
    DocumentShare.objects.filter(pk=share.pk).update(expires_at=share.created_at)
    before = _state()
    assert client.get(f"/kho-du-lieu/chia-se/{token}/").status_code == 404
    assert client.post(f"/kho-du-lieu/chia-se/{token}/", {"reason": "Xem"}).status_code == 404
    assert _state() == before


def test_a_read_cannot_be_forged_from_another_page(upload, citizen, agencies, justice_official):
    """An <img src> or link to the share in a page the official opens is a GET, or a
    cross-site POST without this site's CSRF token: neither records a read nor sends the
    file. An empty reason is refused too."""
    from django.test import Client

    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    link = f"/kho-du-lieu/chia-se/{queries.share_token(share)}/"
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, justice_official)
    before = _state()
    shown = browser.get(link)
    assert shown.status_code == 200 and shown["Content-Type"].startswith("text/html")
    assert browser.post(link, {"reason": "Xem"}).status_code == 403  # no CSRF token
    token = shown.context["csrf_token"]
    empty = browser.post(link, {"reason": "  ", "csrfmiddlewaretoken": str(token)})
    assert empty.status_code == 422 and "Hãy ghi lý do xem giấy tờ." in empty.content.decode()
    assert _state() == before
    opened = browser.post(link, {"reason": "Thẩm định", "csrfmiddlewaretoken": str(token)})
    assert b"".join(opened.streaming_content) == support.pdf_bytes("CCCD")
    assert StoredDocumentRead.objects.count() == 1


def test_pages_need_sign_in(client):
    for path in ("/kho-du-lieu/", "/kho-du-lieu/tai-len/", "/kho-du-lieu/ai-da-xem/"):
        response = client.get(path)
        assert response.status_code == 302 and "/dang-nhap" in response["Location"]


def test_upload_page_shows_a_full_store_beside_the_file(client, citizen, upload, cccd, settings):
    settings.DATASTORE_MAX_DOCUMENTS = 1
    upload()
    before = _state()
    client.force_login(citizen)
    response = client.post(
        "/kho-du-lieu/tai-len/",
        {"kind": cccd.pk, "file": SimpleUploadedFile("b.pdf", support.pdf_bytes("B"))},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_file-loi" role="alert"' in html
    assert "Ông/Bà đã tải lên kho 1 giấy tờ, là số tối đa" in html
    assert _state() == before


def test_list_and_reads_are_paged_with_links(
    client, citizen, upload, justice_official, agencies, monkeypatch
):
    from tinhso.datastore import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    docs = [upload(number=f"SO-{i}", content=support.pdf_bytes(str(i))) for i in range(3)]
    for i, doc in enumerate(docs):
        actions.record_read(
            doc, official=justice_official, agency=agencies["STP"], reason=f"Lý do {i}"
        )
    client.force_login(citizen)
    first = client.get("/kho-du-lieu/").content.decode()
    assert ("SO-2" in first, "SO-1" in first, "SO-0" in first) == (True, True, False)
    assert '<a href="?trang=2">Trang sau</a>' in first and "Trang 1/2" in first
    assert "Trang trước" not in first
    second = client.get("/kho-du-lieu/?trang=2").content.decode()
    assert ("SO-2" in second, "SO-1" in second, "SO-0" in second) == (False, False, True)
    assert '<a href="?trang=1">Trang trước</a>' in second and "Trang 2/2" in second
    assert "Trang sau" not in second
    reads = client.get("/kho-du-lieu/ai-da-xem/").content.decode()
    assert ("Lý do 2" in reads, "Lý do 1" in reads, "Lý do 0" in reads) == (True, True, False)
    assert '<a href="?trang=2">Trang sau</a>' in reads
    last = client.get("/kho-du-lieu/ai-da-xem/?trang=2").content.decode()
    assert ("Lý do 2" in last, "Lý do 0" in last) == (False, True)
    assert '<a href="?trang=1">Trang trước</a>' in last
    # a page past the end or not a number shows the nearest page, never an error
    assert "SO-0" in client.get("/kho-du-lieu/?trang=9").content.decode()
    assert "SO-2" in client.get("/kho-du-lieu/?trang=x").content.decode()


def test_no_expiry_reads_the_same_on_the_list_and_the_document(client, citizen, upload):
    forever = upload(number="VO-HAN")
    upload(number="CO-HAN", expires_on=date(2036, 5, 1))
    client.force_login(citizen)
    listed = client.get("/kho-du-lieu/").content.decode()
    row = listed[listed.index("VO-HAN") : listed.index("</tr>", listed.index("VO-HAN"))]
    expiry = re.search(r'data-label="Ngày hết hạn">([^<]*)</td>', row)
    assert expiry is not None and expiry.group(1) == "Không thời hạn"
    assert listed.count("Không thời hạn") == 1  # the other one has its date
    detail = client.get(f"/kho-du-lieu/{forever.pk}/").content.decode()
    assert "<dt>Ngày hết hạn</dt><dd>Không thời hạn</dd>" in detail


def test_the_agency_picker_is_grouped_by_level(client, citizen, upload, agencies, province):
    from tinhso.places.models import Agency

    hoa_thang = Agency.objects.create(
        code="000.01.01.H66",
        name="UBND xã Hòa Thắng",
        short_name="UBND",
        level=Agency.Level.COMMUNE,
        province=province,
        parent=agencies["UBND"],
    )
    Agency.objects.create(
        code="000.01.02.H66",
        name="UBND xã Cũ",
        short_name="UBND",
        level=Agency.Level.COMMUNE,
        province=province,
        is_active=False,
    )
    doc = upload()
    client.force_login(citizen)
    html = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    select = html[
        html.index('name="agency"') : html.index("</select>", html.index('name="agency"'))
    ]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    named = {label: re.findall(r'<option value="(\d+)"', body) for label, body in groups}
    assert list(named) == [
        "Ủy ban nhân dân tỉnh",
        "Sở, ban, ngành",
        "Ủy ban nhân dân xã, phường, đặc khu",
    ]
    assert named["Sở, ban, ngành"] == [str(agencies["STP"].pk)]
    assert named["Ủy ban nhân dân xã, phường, đặc khu"] == [str(hoa_thang.pk)]  # not the inactive
    assert select.count('<option value="">— Chọn cơ quan —</option>') == 1
    # the grouped picker still posts a plain agency id; a refused form keeps the choice
    refused = client.post(f"/kho-du-lieu/{doc.pk}/chia-se/", {"agency": hoa_thang.pk, "days": "0"})
    assert refused.status_code == 422
    assert f'<option value="{hoa_thang.pk}" selected>UBND xã Hòa Thắng</option>' in (
        refused.content.decode()
    )
    done = client.post(f"/kho-du-lieu/{doc.pk}/chia-se/", {"agency": hoa_thang.pk, "days": "2"})
    assert done.status_code == 302
    assert DocumentShare.objects.get().agency == hoa_thang
