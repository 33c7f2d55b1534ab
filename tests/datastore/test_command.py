"""`tinhso datastore list` and `tinhso datastore export`."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.dossiers import support
from tinhso.core.models import AuditRecord


def _run(*args: str) -> str:
    out = StringIO()
    call_command("datastore", *args, stdout=out)
    return out.getvalue()


def test_list_as_json_shows_only_that_citizens_documents(citizen, other_citizen, upload):
    mine = upload(number="A1", issued_on=date(2021, 5, 1), expires_on=date(2036, 5, 1))
    upload(user=other_citizen, number="B2")
    rows = json.loads(_run("list", "066090001234", "--json"))
    assert rows == [
        {
            "ref": f"doc:{mine.pk}",
            "kind": "CCCD",
            "kind_name": "Căn cước công dân",
            "number": "A1",
            "issuer": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
            "issued_on": "2021-05-01",
            "expires_on": "2036-05-01",
            "provenance": "uploaded",
            "source_dossier": "",
            "signature": "none",
            "sha256": mine.sha256,
        }
    ]
    text = _run("list", "066090001234")
    assert text.startswith(f"doc:{mine.pk}") and "B2" not in text


def test_export_writes_the_file_and_records_it(citizen, upload, tmp_path):
    doc = upload()
    target = tmp_path / "out.pdf"
    assert _run("export", doc.ref, str(target)).strip() == (
        f"{doc.ref}: {doc.size} bytes written to {target}"
    )
    assert target.read_bytes() == support.pdf_bytes("CCCD")
    record = AuditRecord.objects.get(action="datastore.exported")
    assert (record.object_id, record.channel) == (str(doc.pk), "command")


def test_unknown_owner_and_ref_are_refused_and_nothing_written(citizen, upload, tmp_path):
    doc = upload()
    with pytest.raises(CommandError, match="no citizen or organisation '079000000000'"):
        _run("list", "079000000000")
    target = tmp_path / "out.pdf"
    for ref in (f"doc:{doc.pk + 1}", f"result:{doc.pk}", "doc:x"):
        with pytest.raises(CommandError, match="no document"):
            _run("export", ref, str(target))
    assert not target.exists()
    assert not AuditRecord.objects.filter(action="datastore.exported").exists()
