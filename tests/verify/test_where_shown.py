"""The code where people see it: the citizen's dossier page and the officer's dossier page
show, for an electronic result, "Kết quả điện tử — mã xác thực: XXXX-..." linking to
/xac-thuc/<code>; a result that was not sealed shows no code."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.dossiers import support
from tests.dossiers.test_office_views import sign_in
from tinhso.datastore import actions as datastore_actions
from tinhso.datastore.models import StoredDocument
from tinhso.dossiers import actions as dossier_actions
from tinhso.verify.models import ElectronicResult

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _link(electronic) -> str:
    # a code, not words: in <code>, so neither a reader nor the journeys' English check
    # takes its letters ("GO", "BY", "BAD") for text
    return f'<a href="/xac-thuc/{electronic.code}"><code>{electronic.printed_code}</code></a>'


def test_the_citizens_dossier_page_shows_the_code(issued, office, client):
    electronic = ElectronicResult.objects.get()
    client.force_login(office.citizen)
    response = client.get(reverse("dossiers:detail", args=[issued.dossier.code]))
    assert response.status_code == 200
    assert f"Kết quả điện tử — mã xác thực: {electronic.printed_code}" in _text(response)
    assert _link(electronic) in response.content.decode()


def test_the_officers_dossier_page_shows_the_code(issued, office, client):
    electronic = ElectronicResult.objects.get()
    sign_in(client, office.vanthu)
    response = client.get(reverse("dossiers:office-detail", args=[issued.dossier.code]))
    assert response.status_code == 200
    assert f"Kết quả điện tử — mã xác thực: {electronic.printed_code}" in _text(response)
    assert _link(electronic) in response.content.decode()


def test_a_result_not_sealed_shows_no_code(office, approved, client):
    dossier_actions.attach_result(
        approved, "Kết quả", support.pdf_bytes("khong dau"), officer=office.vanthu
    )
    client.force_login(office.citizen)
    response = client.get(reverse("dossiers:detail", args=[approved.code]))
    assert response.status_code == 200
    assert "Tải về: Kết quả" in _text(response)
    assert "mã xác thực" not in _text(response)


def test_the_citizens_store_shows_the_code_of_a_stored_electronic_result(issued, office, client):
    electronic = ElectronicResult.objects.get()
    datastore_actions.add_result(issued.dossier)  # as the returned result's outbox handler
    document = StoredDocument.objects.get(source_result=issued.result)
    client.force_login(office.citizen)
    response = client.get(reverse("datastore:detail", args=[document.pk]))
    assert response.status_code == 200
    assert f"Xác thực Kết quả điện tử — mã xác thực: {electronic.printed_code}" in _text(response)
    assert _link(electronic) in response.content.decode()
