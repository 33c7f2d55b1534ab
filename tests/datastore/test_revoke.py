"""Revoking a share (thu hồi): the owner ends a link early, the link is refused with a page
saying so, and nobody else can revoke."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.dossiers import support
from tests.dossiers.test_office_views import sign_in
from tinhso.core.models import AuditRecord
from tinhso.datastore import actions, errors, queries
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import DocumentShare, StoredDocument, StoredDocumentRead


def _state() -> dict:
    return {
        "documents": list(StoredDocument.objects.order_by("pk").values()),
        "shares": list(DocumentShare.objects.order_by("pk").values()),
        "reads": list(StoredDocumentRead.objects.order_by("pk").values()),
        "audit": AuditRecord.objects.count(),
    }


def _link(share: DocumentShare) -> str:
    return f"/kho-du-lieu/chia-se/{queries.share_token(share)}/"


def test_revoke_ends_the_link_with_a_page_saying_so(
    client, citizen, upload, agencies, justice_official
):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    official = Client()
    sign_in(official, justice_official)
    # used once before the revocation: the owner's page says so
    assert official.post(_link(share), {"reason": "Thẩm định"}).status_code == 200
    assert StoredDocumentRead.objects.get().share == share
    client.force_login(citizen)
    revoke_url = f"/kho-du-lieu/{doc.pk}/chia-se/{share.pk}/thu-hoi/"
    html = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert f'<form method="post" action="{revoke_url}">' in html
    assert "đã được xem 1 lần" in html and "hiệu lực đến" in html
    assert client.get(revoke_url).status_code == 405  # an action, never a GET
    response = client.post(revoke_url)
    assert response.status_code == 302 and response["Location"] == f"/kho-du-lieu/{doc.pk}/"
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == citizen
    record = AuditRecord.objects.filter(action="datastore.share_revoked").get()
    assert record.object_id == str(doc.pk)
    page = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert "Đã thu hồi đường dẫn chia sẻ" in page and "đã thu hồi lúc" in page
    assert revoke_url not in page and _link(share) not in page  # no button, no link shown
    # the official's link: a page that says it was revoked, nothing recorded or sent
    before = _state()
    shown = official.get(_link(share))
    assert shown.status_code == 409
    text = shown.content.decode()
    assert "<h1>Đường dẫn chia sẻ đã bị thu hồi</h1>" in text
    assert "Chủ sở hữu đã thu hồi đường dẫn chia sẻ này" in text
    posted = official.post(_link(share), {"reason": "Xem lại"})
    assert posted.status_code == 409 and posted["Content-Type"].startswith("text/html")
    assert _state() == before
    # a second click changes nothing (no second audit record)
    assert client.post(revoke_url).status_code == 302
    assert _state() == before


def test_a_read_racing_the_revocation_is_refused(citizen, upload, agencies, justice_official):
    """The link was opened before the owner revoked it; the read itself re-checks the share
    under its lock and records nothing."""
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    access = queries.access_shared(justice_official, queries.share_token(share))
    actions.revoke_share(doc, share.pk, user=citizen)
    with pytest.raises(DatastoreError) as refused:
        actions.record_read(
            doc,
            official=justice_official,
            agency=access.agency,
            reason="Thẩm định",
            share=access.share,
        )
    assert refused.value.code is errors.SHARE_REVOKED
    assert not StoredDocumentRead.objects.exists()


def test_another_citizens_share_cannot_be_revoked(client, citizen, other_citizen, upload, agencies):
    mine = upload()
    theirs = upload(user=other_citizen, number="079090009999")
    their_share = actions.share(theirs, user=other_citizen, agency=agencies["STP"])
    client.force_login(citizen)
    before = _state()
    for path in (
        f"/kho-du-lieu/{mine.pk}/chia-se/{their_share.pk}/thu-hoi/",  # my document, their share
        f"/kho-du-lieu/{theirs.pk}/chia-se/{their_share.pk}/thu-hoi/",  # theirs altogether
    ):
        response = client.post(path)
        assert response.status_code == 404
        assert "079090009999" not in response.content.decode()
    with pytest.raises(DatastoreError) as refused:
        actions.revoke_share(theirs, their_share.pk, user=citizen)
    assert refused.value.code is errors.SHARE_NOT_FOUND
    assert _state() == before
    their_share.refresh_from_db()
    assert their_share.revoked_at is None


def test_an_ended_share_shows_as_ended_and_is_not_revoked(client, citizen, upload, agencies):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    DocumentShare.objects.filter(pk=share.pk).update(
        expires_at=share.created_at - timedelta(seconds=1)
    )
    client.force_login(citizen)
    html = client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    assert "đã hết hiệu lực lúc" in html and "chưa được xem" in html
    assert "thu-hoi" not in html
    before = _state()
    response = client.post(
        f"/kho-du-lieu/{doc.pk}/chia-se/{share.pk}/thu-hoi/",
        HTTP_REFERER=f"http://testserver/kho-du-lieu/{doc.pk}/",
    )
    assert response.status_code == 303  # back to the page, with the reason on top
    assert (
        "đã hết hiệu lực nên không cần thu hồi"
        in client.get(f"/kho-du-lieu/{doc.pk}/").content.decode()
    )
    assert _state() == before


def test_the_file_is_not_sent_after_revocation(citizen, upload, agencies, justice_official):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    actions.revoke_share(doc, share.pk, user=citizen)
    official = Client()
    sign_in(official, justice_official)
    response = official.post(_link(share), {"reason": "Xem"})
    assert support.pdf_bytes("CCCD") not in response.content


def test_an_overlong_share_id_is_not_found_not_a_500(client, citizen, upload):
    mine = upload()
    client.force_login(citizen)
    before = _state()
    response = client.post(f"/kho-du-lieu/{mine.pk}/chia-se/{'9' * 20}/thu-hoi/")
    assert response.status_code == 404
    assert _state() == before
