"""The desk's way back to its paper intakes (issue 14, số hóa): the "Chờ số hóa" queue lists
the open counter and postal dossiers received at the officer's desk with a scan not digitised
yet, each of them one the officer may digitise (`digitisation.awaiting` agrees with
`may_digitise`); the dossier page says what still waits; digitising from the scan taken at
intake needs no second upload; a scan of another dossier is refused with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.dossiers import support
from tests.factories import sign_in
from tinhso.core.models import AuditRecord
from tinhso.datastore.models import DocumentKind, StoredDocument
from tinhso.documents import actions as documents
from tinhso.documents import pki, stamps
from tinhso.documents.models import TrustedRoot
from tinhso.dossiers import queries
from tinhso.dossiers.actions import digitisation
from tinhso.dossiers.models import Dossier, DossierFile


@pytest.fixture(scope="module")
def test_ca() -> pki.KeyPair:
    return pki.make_test_ca("tinhso TEST CA (hang doi so hoa)")


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


def _intake(office, *, digitised: bool, channel: str = "counter") -> Dossier:
    """A paper dossier received by `tiepnhan`: the form's scan, digitised at intake or not."""
    return support.paper_intake(office, channel=channel, digitised=digitised, delivery="counter")


def _codes(user) -> set[str]:
    return set(queries.queue(user, "cho-so-hoa").values_list("code", flat=True))


def test_the_queue_lists_paper_waiting_at_the_desk_and_agrees_with_may_digitise(office):
    waiting = _intake(office, digitised=False)
    by_post = _intake(office, digitised=False, channel="post")
    done_at_intake = _intake(office, digitised=True)
    online = office.received()  # born digital
    withdrawn = _intake(office, digitised=False)
    Dossier.objects.filter(pk=withdrawn.pk).update(state=Dossier.State.WITHDRAWN)

    assert _codes(office.tiepnhan) == {waiting.code, by_post.code}
    for dossier in Dossier.objects.filter(code__in=_codes(office.tiepnhan)):
        assert digitisation.may_digitise(office.tiepnhan, dossier)
    for dossier in (done_at_intake, online):
        assert dossier.code not in _codes(office.tiepnhan)
    # another agency's desk, and officials who do not receive, see none of them
    for user in (office.outsider, office.chuyenvien, office.lanhdao):
        assert _codes(user) == set()
    assert queries.queue_counts(office.tiepnhan)["cho-so-hoa"] == 2


def test_a_certified_copy_takes_the_dossier_out_of_the_queue(office, officer_key):
    dossier = _intake(office, digitised=False)
    tk = office.version.components.get(code="TK")
    digitisation.digitise_component(
        dossier,
        tk.pk,
        officer=office.tiepnhan,
        kind=DocumentKind.objects.get(code="KHAC"),
        file_name="to-khai.pdf",
        content=support.pdf_bytes("to khai"),
    )
    assert dossier.code not in _codes(office.tiepnhan)
    files = list(DossierFile.objects.filter(dossier=dossier, component=tk))
    assert len(files) == 2  # the scan handed in stays beside the certified copy
    assert digitisation.component_digitised(files)
    assert not digitisation.component_digitised([f for f in files if f.from_stored_id is None])


def test_queue_page_and_dossier_page_lead_to_the_paper_and_the_intake_scan_is_used(
    client, office, officer_key
):
    dossier = _intake(office, digitised=False)
    scan = dossier.files.get()
    sign_in(client, office.tiepnhan)
    page = client.get(reverse("dossiers:office-queue", args=["cho-so-hoa"])).content.decode()
    assert "<h1>Chờ số hóa</h1>" in page
    assert reverse("dossiers:office-detail", args=[dossier.code]) in page
    detail = reverse("dossiers:office-detail", args=[dossier.code])
    page = client.get(detail).content.decode()
    assert "Còn 1 thành phần nộp bằng giấy chưa số hóa" in page
    assert "trang chỉ để xem" not in page  # the paper is work for this officer
    assert f'<option value="{scan.pk}">to-khai.pdf</option>' in page  # the intake's scan
    url = reverse("dossiers:office-digitise", args=[dossier.code])
    tk = office.version.components.get(code="TK")
    kind = DocumentKind.objects.get(code="KHAC")
    response = client.post(
        url,
        {
            "component": tk.pk,
            "scan": scan.pk,
            "kind": kind.pk,
            "number": "TK-01",
            "issued_on": "2026-11-02",
        },
    )
    assert response.status_code == 302
    stored = StoredDocument.objects.get(number="TK-01")
    assert stored.issued_on == date(2026, 11, 2)
    assert stored.digitised_by == office.tiepnhan and stored.signature == "certified_copy"
    page = client.get(detail).content.decode()
    assert "Còn 1 thành phần nộp bằng giấy chưa số hóa" not in page
    assert "Bản số hóa tại quầy: số hóa bởi Trần Thị Bình" in page
    page = client.get(reverse("dossiers:office-queue", args=["cho-so-hoa"])).content.decode()
    assert reverse("dossiers:office-detail", args=[dossier.code]) not in page


def test_a_scan_of_another_dossier_or_component_is_refused_and_writes_nothing(
    client, office, officer_key
):
    dossier = _intake(office, digitised=False)
    other = _intake(office, digitised=False)
    foreign = other.files.get()
    own = dossier.files.get()
    cccd = office.version.components.get(code="CCCD")
    tk = office.version.components.get(code="TK")
    kind = DocumentKind.objects.get(code="KHAC")
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-digitise", args=[dossier.code])
    before = (
        StoredDocument.objects.count(),
        DossierFile.objects.count(),
        AuditRecord.objects.count(),
    )
    for component, scan in ((tk, foreign), (cccd, own), (tk, "x")):
        response = client.post(
            url, {"component": component.pk, "scan": getattr(scan, "pk", scan), "kind": kind.pk}
        )
        assert response.status_code == 302
    after = (
        StoredDocument.objects.count(),
        DossierFile.objects.count(),
        AuditRecord.objects.count(),
    )
    assert after == before
    # an official of another agency's desk cannot reach the dossier at all
    sign_in(client, office.outsider)
    response = client.post(url, {"component": tk.pk, "scan": own.pk, "kind": kind.pk})
    assert response.status_code == 404
    assert StoredDocument.objects.count() == before[0]
