"""Revoking a share (thu hồi): the owner ends a link early, the link is refused with a page
saying so, and nobody else can revoke."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
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
    assert f'<a class="button danger" href="{revoke_url}">Thu hồi' in html
    assert "đã được xem 1 lần" in html and "hiệu lực đến" in html
    # asked first, without script: the GET and a POST without the confirmation change nothing
    before = _state()
    for asked in (client.get(revoke_url), client.post(revoke_url)):
        assert asked.status_code == 200
        confirm = asked.content.decode()
        assert "<h1>Thu hồi đường dẫn chia sẻ</h1>" in confirm and "Sở Tư pháp" in confirm
        assert f'<form method="post" action="{revoke_url}">' in confirm
        assert '<input type="hidden" name="confirm" value="1">' in confirm
        assert 'name="csrfmiddlewaretoken"' in confirm
        assert f'href="/kho-du-lieu/{doc.pk}/">Không thu hồi' in confirm
    assert _state() == before
    share.refresh_from_db()
    assert share.revoked_at is None
    response = client.post(revoke_url, {"confirm": "1"})
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
    # a second click changes nothing (no second audit record), nor does the confirm page
    assert client.post(revoke_url, {"confirm": "1"}).status_code == 302
    assert client.get(revoke_url).status_code == 302
    assert _state() == before


def test_the_confirmed_revocation_needs_the_csrf_token(citizen, upload, agencies):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    revoke_url = f"/kho-du-lieu/{doc.pk}/chia-se/{share.pk}/thu-hoi/"
    page = browser.get(revoke_url)
    assert browser.post(revoke_url, {"confirm": "1"}).status_code == 403
    share.refresh_from_db()
    assert share.revoked_at is None
    token = str(page.context["csrf_token"])
    done = browser.post(revoke_url, {"confirm": "1", "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_the_shared_link_has_a_copy_button_that_script_reveals(client, citizen, upload, agencies):
    doc = upload()
    share = actions.share(doc, user=citizen, agency=agencies["STP"])
    client.force_login(citizen)
    response = client.get(f"/kho-du-lieu/{doc.pk}/")
    html = response.content.decode()
    box = f'id="lien-ket-{share.pk}"'
    # without script: the link is read-only text in a labelled box, the button hidden
    assert f'<input type="text" {box} value="http://testserver{_link(share)}" readonly>' in html
    button = re.search(r"<button type=\"button\"[^>]*data-copy=[^>]*>", html)
    assert button is not None
    assert f'data-copy="lien-ket-{share.pk}"' in button.group(0)
    assert button.group(0).rstrip(">").endswith(" hidden")
    assert 'data-copied="Đã sao chép đường dẫn."' in button.group(0)
    # the script is a static file of this origin, which the CSP allows (no inline script)
    script = re.search(r'<script src="(/static/datastore/copy[^"]*\.js)" defer></script>', html)
    assert script is not None
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html
    js = finders.find("datastore/copy.js")
    assert js is not None and "button.hidden = false" in Path(js).read_text()
    # no share, no script
    other = upload(number="KHONG-CHIA-SE")
    assert "copy" not in client.get(f"/kho-du-lieu/{other.pk}/").content.decode()


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
        for response in (client.get(path), client.post(path, {"confirm": "1"})):
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
    revoke_url = f"/kho-du-lieu/{doc.pk}/chia-se/{share.pk}/thu-hoi/"
    asked = client.get(revoke_url)  # nothing to confirm: back to the document
    assert asked.status_code == 302 and asked["Location"] == f"/kho-du-lieu/{doc.pk}/"
    response = client.post(
        revoke_url, {"confirm": "1"}, HTTP_REFERER=f"http://testserver/kho-du-lieu/{doc.pk}/"
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
    for response in (
        client.post(f"/kho-du-lieu/{mine.pk}/chia-se/{'9' * 20}/thu-hoi/", {"confirm": "1"}),
        client.get(f"/kho-du-lieu/{mine.pk}/chia-se/{'9' * 20}/thu-hoi/"),
    ):
        assert response.status_code == 404
    assert _state() == before
