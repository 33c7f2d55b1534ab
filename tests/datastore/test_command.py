"""`tinhso datastore list` and `tinhso datastore export`."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.dossiers import support
from tinhso.core.models import AuditRecord
from tinhso.datastore.models import StoredDocumentRead
from tinhso.people.models import Citizen

OPERATOR = "quản trị hệ thống (dòng lệnh)"


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


def test_list_is_an_audited_read_by_the_operator(citizen, other_citizen, upload):
    mine = upload(number="A1")
    upload(user=other_citizen, number="B2")
    before = AuditRecord.objects.count()
    _run("list", "066090001234", "--json")
    assert AuditRecord.objects.count() == before + 1
    record = AuditRecord.objects.order_by("-pk").first()
    assert (
        record.action,
        record.actor,
        record.actor_label,
        record.object_type,
        record.object_id,
        record.channel,
        record.changes,
    ) == (
        "personal_data.read",
        None,
        OPERATOR,
        "people.citizen",
        str(Citizen.objects.get(personal_id="066090001234").pk),
        "command",
        {"fields": ["stored_documents"], "documents": [f"doc:{mine.pk}"]},
    )
    assert not StoredDocumentRead.objects.exists()  # a list shows no file


def test_export_writes_the_file_and_records_it(citizen, upload, tmp_path):
    doc = upload()
    target = tmp_path / "out.pdf"
    assert _run("export", doc.ref, str(target)).strip() == (
        f"{doc.ref}: {doc.size} bytes written to {target}"
    )
    assert target.read_bytes() == support.pdf_bytes("CCCD")
    record = AuditRecord.objects.get(action="datastore.exported")
    assert (record.object_id, record.channel, record.actor_label) == (
        str(doc.pk),
        "command",
        OPERATOR,
    )
    read = StoredDocumentRead.objects.get()
    assert (read.document, read.official, read.actor_label, read.agency, read.reason) == (
        doc,
        None,
        OPERATOR,
        None,
        "Xuất tệp theo yêu cầu của chủ sở hữu hoặc cơ quan có thẩm quyền",
    )
    personal = AuditRecord.objects.get(action="personal_data.read")
    assert (personal.object_id, personal.actor_label, personal.changes) == (
        str(doc.pk),
        OPERATOR,
        {"fields": ["file"]},
    )


def test_export_is_shown_to_the_owner_with_its_reason(client, citizen, upload, tmp_path):
    doc = upload()
    _run("export", doc.ref, str(tmp_path / "out.pdf"), "--reason", "Trả lời yêu cầu số 12/CA")
    client.force_login(citizen)
    html = client.get("/kho-du-lieu/ai-da-xem/").content.decode()
    assert f'<td data-label="Cán bộ">{OPERATOR}</td>' in html
    assert "Trả lời yêu cầu số 12/CA" in html


def test_export_without_reason_or_unwritable_records_and_writes_nothing(citizen, upload, tmp_path):
    doc = upload()
    before = AuditRecord.objects.count()
    target = tmp_path / "out.pdf"
    with pytest.raises(CommandError, match=r"^Hãy ghi lý do xem giấy tờ\.$"):
        _run("export", doc.ref, str(target), "--reason", "   ")
    assert not target.exists()
    with pytest.raises(CommandError, match="cannot write"):
        _run("export", doc.ref, str(tmp_path / "missing" / "out.pdf"))
    assert not (tmp_path / "missing").exists()
    assert not StoredDocumentRead.objects.exists()
    assert AuditRecord.objects.count() == before


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
    assert not StoredDocumentRead.objects.exists()
