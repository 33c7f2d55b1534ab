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
