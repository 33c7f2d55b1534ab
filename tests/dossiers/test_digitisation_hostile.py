"""Hostile input to the officials' pages (issue 14, số hóa): a posted id that is not ASCII
digits ("²" passes `str.isdigit()` but not `int()`) or longer than the database's integer
gets the form's Vietnamese message, never a 500, and writes nothing; a second "Số hóa" of a
component that already has its certified copy is refused the same way."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.dossiers import support
from tests.dossiers import test_digitisation_queue as queue_tests
from tests.dossiers.backoffice import state_of_the_world
from tests.factories import sign_in
from tinhso.core.models import AuditRecord
from tinhso.datastore.models import DocumentKind, StoredDocument
from tinhso.dossiers import errors
from tinhso.dossiers.actions import digitisation
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import DossierFile
from tinhso.dossiers.views_office import _posted_int

# the queue tests' paper intake and the officer's signing key
_intake = queue_tests._intake
test_ca = queue_tests.test_ca
officer_key = queue_tests.officer_key

HUGE = "99999999999999999999999"  # 23 digits: past any 64-bit integer column
SUPERSCRIPT = "\u00b2"  # "²": isdigit() is True, int() raises ValueError
ARABIC_ONE = "\u0661"  # "١": isdigit() is True and int() reads it as 1


def _counts() -> tuple[int, int, int]:
    return (
        StoredDocument.objects.count(),
        DossierFile.objects.count(),
        AuditRecord.objects.count(),
    )


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("999999999999999999", 999999999999999999),
        ("", None),
        (None, None),
        (SUPERSCRIPT, None),
        (ARABIC_ONE, None),
        (HUGE, None),
        ("1000000000000000000", None),  # 19 digits
        ("-1", None),
        ("1.0", None),
    ],
)
def test_posted_int_takes_only_short_ascii_digits(text, expected):
    assert _posted_int(text) == expected


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("scan", SUPERSCRIPT, "Hãy chọn tệp bản quét."),
        ("scan", HUGE, "Hãy chọn tệp bản quét."),
        ("scan", ARABIC_ONE, "Hãy chọn tệp bản quét."),
        ("component", SUPERSCRIPT, "Thành phần hồ sơ không thuộc thủ tục này."),
        ("component", HUGE, "Thành phần hồ sơ không thuộc thủ tục này."),
        ("component", ARABIC_ONE, "Thành phần hồ sơ không thuộc thủ tục này."),
        ("kind", SUPERSCRIPT, "Hãy chọn loại giấy tờ của bản quét."),
        ("kind", HUGE, "Hãy chọn loại giấy tờ của bản quét."),
    ],
)
def test_a_hostile_id_in_the_digitise_form_gets_the_form_message_and_writes_nothing(
    client, office, officer_key, field, value, said
):
    dossier = _intake(office, digitised=False)
    tk = office.version.components.get(code="TK")
    posted = {
        "component": str(tk.pk),
        "scan": str(dossier.files.get().pk),
        "kind": str(DocumentKind.objects.get(code="KHAC").pk),
        field: value,
    }
    sign_in(client, office.tiepnhan)
    before = _counts()
    response = client.post(reverse("dossiers:office-digitise", args=[dossier.code]), posted)
    assert response.status_code == 302
    assert said in _said(response)
    assert _counts() == before


def test_hostile_page_numbers_on_the_queue_page(client, office):
    dossier = _intake(office, digitised=False)
    sign_in(client, office.tiepnhan)
    queue = reverse("dossiers:office-queue", args=["cho-so-hoa"])
    for page in (SUPERSCRIPT, HUGE, "0", "abc"):
        response = client.get(queue, {"trang": page})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<h1>Chờ số hóa</h1>" in html
        # not a page number (nor one the database could take): the first page
        assert reverse("dossiers:office-detail", args=[dossier.code]) in html


@pytest.mark.parametrize("value", [SUPERSCRIPT, HUGE])
def test_hostile_ids_in_the_other_actions_are_a_message_not_a_500(client, office, value):
    dossier = office.received()
    before = state_of_the_world(dossier)
    sign_in(client, office.truongphong)
    act = reverse("dossiers:office-act", args=[dossier.code, "assign"])
    response = client.post(act, {"to": value})
    assert response.status_code == 422
    assert "Vui lòng chọn cán bộ." in response.content.decode()
    response = client.post(
        reverse("dossiers:office-bulk-assign"), {"to": value, "codes": [dossier.code]}
    )
    assert response.status_code == 302
    assert any("Vui lòng chọn cán bộ." in line for line in _said(response))
    client.logout()
    sign_in(client, office.chuyenvien)
    for action, field in (
        ("request_supplement", "components"),
        ("request_opinions", "agencies"),
        ("return_to_step", "position"),
    ):
        url = reverse("dossiers:office-act", args=[dossier.code, action])
        response = client.post(url, {field: value, "xac-nhan": "1"})
        assert response.status_code in {403, 409, 422}, action
    assert state_of_the_world(dossier) == before


def test_a_second_submit_of_the_digitise_form_is_refused_and_writes_nothing(
    client, office, officer_key
):
    dossier = _intake(office, digitised=False)
    scan = dossier.files.get()
    tk = office.version.components.get(code="TK")
    posted = {
        "component": tk.pk,
        "scan": scan.pk,
        "kind": DocumentKind.objects.get(code="KHAC").pk,
        "number": "TK-02",
    }
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-digitise", args=[dossier.code])
    assert client.post(url, posted).status_code == 302
    assert StoredDocument.objects.filter(number="TK-02").count() == 1
    before = _counts()
    response = client.post(url, posted)  # the double click
    assert response.status_code == 302
    said = _said(response)  # the first submit's success, not shown yet, then the refusal
    assert said[-1] == (
        f"Thành phần “{tk.name[:80]}” đã được số hóa và chứng thực; không cần số hóa lại."
    )
    assert sum(line.startswith("Đã số hóa và chứng thực") for line in said) == 1
    assert _counts() == before
    assert DossierFile.objects.filter(dossier=dossier, component=tk).count() == 2


def test_a_copy_certified_while_the_second_was_being_signed_is_checked_under_the_lock(
    office, officer_key, monkeypatch
):
    """Two submits at once: both pass the early check; the one that takes the dossier's lock
    second finds the first one's certified copy and writes nothing."""
    dossier = _intake(office, digitised=False)
    tk = office.version.components.get(code="TK")
    kind = DocumentKind.objects.get(code="KHAC")
    certify = digitisation.certify
    calls = []

    def other_click_finishes_meanwhile(pdf, officer, *, pin=""):
        calls.append(1)
        if len(calls) == 1:  # the other request, done while this one was signing
            monkeypatch.setattr(digitisation, "certify", certify)
            digitisation.digitise_component(
                dossier,
                tk.pk,
                officer=officer,
                kind=kind,
                file_name="to-khai.pdf",
                content=support.pdf_bytes("to khai"),
            )
        return certify(pdf, officer, pin=pin)

    monkeypatch.setattr(digitisation, "certify", other_click_finishes_meanwhile)
    before = _counts()
    with pytest.raises(DossierError) as refused:
        digitisation.digitise_component(
            dossier,
            tk.pk,
            officer=office.tiepnhan,
            kind=kind,
            file_name="to-khai.pdf",
            content=support.pdf_bytes("to khai"),
        )
    assert refused.value.code == errors.STORED_DOCUMENT_CHOSEN
    assert list(refused.value.fields) == ["component"]
    # only the other request's copy: one stored document, one file, its audit records
    assert StoredDocument.objects.count() == before[0] + 1
    assert DossierFile.objects.filter(dossier=dossier, component=tk).count() == 2
    assert StoredDocument.objects.filter(source_dossier_code=dossier.code).count() == 1
