"""The store's pages in English (the datastore app's own catalogue, locale/en)."""

from __future__ import annotations

from tinhso.datastore import actions


def test_store_pages_in_english(client, citizen, upload, agencies):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    actions.revoke_share(doc, share.pk, user=citizen)
    client.force_login(citizen)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    listing = client.get("/kho-du-lieu/").content.decode()
    assert "<h1>My document store</h1>" in listing and "Upload a document to the store" in listing
    detail = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert "Share with an agency" in detail and "revoked at" in detail
    assert "not viewed yet" in detail and "Uploaded by the citizen" in detail


def test_the_new_store_texts_in_english(client, citizen, upload, agencies):
    from tests.dossiers import support
    from tinhso.datastore.models import DocumentKind
    from tinhso.people.models import Organisation

    company = Organisation.objects.create(tax_code="6000123456", name="Ea Tu Coffee Co.")
    company.members.add(citizen)
    added = actions.upload(
        user=citizen,
        organisation=company,
        kind=DocumentKind.objects.get(code="GCN-DKDN"),
        file_name="dkdn.pdf",
        content=support.pdf_bytes("DKDN"),
    )
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    client.force_login(citizen)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    detail = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert ">Copy<" in detail and 'data-copied="Link copied."' in detail
    assert '<optgroup label="Departments and agencies">' in detail
    assert "Agencies are grouped by level" in detail
    confirm = client.get(f"/kho-du-lieu/{doc.pk}/chia-se/{share.pk}/thu-hoi/").content.decode()
    assert "<h1>Revoke the share link</h1>" in confirm and "Confirm revocation" in confirm
    organisation = client.get(f"/kho-du-lieu/{added.pk}/").content.decode()
    assert "Uploaded by the organisation" in organisation
    assert "Who viewed the organisation's documents" in organisation
    listing = client.get("/kho-du-lieu/").content.decode()
    assert "No expiry" in listing
