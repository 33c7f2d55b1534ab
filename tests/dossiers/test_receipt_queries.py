"""The receipt is a hot path (issue 12, `bench/dossiers_queue.py`): the citizen's download of
Mẫu 01 counts its statements, so a change that adds a round trip to every receipt fails here;
a reprint costs the same statements as the first print (the stored PDF saves the layout, not
a read)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.dossiers import receipt

from .test_forms_pdf import received  # noqa: F401 - the fixture


def _download(client, code):
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"/ho-so-cua-toi/{code}/bien-nhan.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    return queries


def test_the_citizens_receipt_costs_a_fixed_number_of_statements(client, office, received):  # noqa: F811
    receipt._stored.clear()
    client.force_login(office.citizen)

    first = _download(client, received.code)
    again = _download(client, received.code)

    listing = "\n".join(q["sql"][:120] for q in first.captured_queries)
    # the session and the user; the dossier through the access check; its files; the
    # procedure's components; its steps; an agency and its province, for the form's heading
    assert len(first) == 8, listing
    assert len(again) == len(first)
