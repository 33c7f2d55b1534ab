"""The national portal's records: parsing, idempotent import, bad records refused whole."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tinhso.catalogue.importer import RecordError, import_paths, parse_record
from tinhso.catalogue.models import Procedure, ProcedureVersion
from tinhso.core.models import AuditRecord

from .conftest import SAMPLES

needs_samples = pytest.mark.skipif(
    not (SAMPLES / "details").is_dir(), reason="../shared samples are not present"
)


def record(**data):
    base = {
        "id": "019d2bfd-0000-0000-0000-000000000001",
        "code": "1.004873",
        "name": "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        "category": {"code": "G15-TP07", "name": "Hộ tịch"},
        "isWard": True,
        "isProvince": False,
        "isFullProcess": False,
        "executionMethods": [
            {
                "submissionMethod": "ONLINE",
                "processingTime": 3,
                "processingTimeUnit": "WORKING_DAY",
                "description": "",
                "fees": [{"type": "FEE", "value": 0, "description": ""}],
            },
            {
                "submissionMethod": "DIRECT",
                "processingTime": 3,
                "processingTimeUnit": "WORKING_DAY",
                "description": "",
                "fees": [{"type": "FEE", "value": 20000, "description": "Trực tiếp"}],
            },
        ],
        "executionCases": [
            {
                "name": "* Giấy tờ phải nộp:",
                "profileComponents": [
                    {
                        "name": "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
                        "code": "KQ1",
                        "originalQty": 1,
                        "copyQty": 0,
                        "required": True,
                    },
                ],
            },
        ],
        "resultsDetails": [{"name": "Giấy xác nhận tình trạng hôn nhân"}],
        "legalBasisesDetails": [
            {"name": "Luật Hộ tịch 2014"},
            {"name": "Nghị định 123/2015/NĐ-CP"},
        ],
        "requirementsAndConditions": "",
        "executionSteps": [{"description": "Bước 1\\nBước 2"}],
        "updatedAt": 1776242191512,
    }
    base.update(data)
    return {"code": "OK", "data": base, "message": None}


def test_parse_maps_the_portal_fields():
    parsed = parse_record(record())
    spec = parsed.spec
    assert (parsed.code, parsed.field_code, parsed.field_name, parsed.levels) == (
        "1.004873",
        "G15-TP07",
        "Hộ tịch",
        ["commune"],
    )
    assert (spec.name, spec.processing_days, spec.processing_hours) == (
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        Decimal("3"),
        None,
    )
    assert (spec.online_type, spec.channels) == ("mot_phan", ["online", "counter"])
    assert spec.fees == [{"name": "Lệ phí (nộp trực tiếp)", "amount": 20000, "note": "Trực tiếp"}]
    assert spec.legal_basis == "Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP"
    assert [
        (c.name, c.code, c.originals, c.copies, c.required, c.group) for c in spec.components
    ] == [
        ("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", "KQ1", 1, 0, True, "* Giấy tờ phải nộp:")
    ]
    assert parsed.source_updated_at.isoformat() == "2026-04-15T08:36:31.512000+00:00"


def test_parse_units_and_online_types():
    hours = parse_record(
        record(
            executionMethods=[
                {
                    "submissionMethod": "DIRECT",
                    "processingTime": 8,
                    "processingTimeUnit": "HOUR",
                    "fees": [],
                }
            ]
        )
    )
    assert (hours.spec.processing_hours, hours.spec.online_type, hours.spec.channels) == (
        Decimal("8"),
        "khong",
        ["counter"],
    )
    other = parse_record(
        record(
            isFullProcess=True,
            executionMethods=[
                {
                    "submissionMethod": "ONLINE",
                    "processingTime": 1,
                    "processingTimeUnit": "OTHER",
                    "fees": [],
                }
            ],
            cases=[
                {"processingDay": {"qty": 1, "type": "WORKING_DAY"}},
                {"processingDay": {"qty": 2, "type": "WORKING_DAY"}},
            ],
        )
    )
    assert (other.spec.processing_days, other.spec.online_type) == (Decimal("2"), "toan_trinh")
    same_day = parse_record(
        record(
            executionMethods=[
                {
                    "submissionMethod": "DIRECT",
                    "processingTime": 0,
                    "processingTimeUnit": "OTHER",
                    "fees": [],
                }
            ]
        )
    )
    assert (same_day.spec.processing_days, same_day.spec.processing_note) == (
        None,
        "Trong ngày làm việc hoặc theo quy định của thủ tục",
    )
    days = parse_record(
        record(
            executionMethods=[
                {
                    "submissionMethod": "DIRECT",
                    "processingTime": 30,
                    "processingTimeUnit": "DAY",
                    "fees": [],
                }
            ]
        )
    )
    assert (days.spec.processing_days, days.spec.processing_note) == (
        Decimal("30"),
        "Nguồn ghi “ngày”, không ghi rõ ngày làm việc",
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"code": "ERROR", "data": None}, 'Bản ghi không đúng dạng {"code": "OK", "data": {...}}.'),
        (record(code=""), "Bản ghi không có mã thủ tục."),
        (record(name=""), "Thủ tục 1.004873 không có tên."),
    ],
)
def test_unusable_records_are_named(bad, message):
    with pytest.raises(RecordError) as caught:
        parse_record(bad)
    assert str(caught.value) == message


@pytest.mark.django_db
def test_import_is_idempotent_and_changes_make_versions(tmp_path: Path):
    (tmp_path / "a.json").write_text(json.dumps(record(), ensure_ascii=False), encoding="utf-8")
    first = import_paths([tmp_path], actor=None)
    second = import_paths([tmp_path], actor=None)
    assert (first.created, second.unchanged, second.created, second.updated) == (
        ["1.004873"],
        ["1.004873"],
        [],
        [],
    )
    changed = record()
    changed["data"]["executionMethods"][1]["processingTime"] = 5
    changed["data"]["executionMethods"][0]["processingTime"] = 5
    (tmp_path / "a.json").write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    third = import_paths([tmp_path], actor=None)
    assert third.updated == ["1.004873"]
    procedure = Procedure.objects.get(code="1.004873")
    assert list(
        procedure.versions.order_by("number").values_list("number", "state", "processing_days")
    ) == [
        (1, "superseded", Decimal("3")),
        (2, "published", Decimal("5")),
    ]


@pytest.mark.django_db
def test_a_bad_record_is_reported_and_leaves_nothing_half_saved(tmp_path: Path):
    bad = record()
    bad["data"]["executionMethods"][1]["fees"][0]["value"] = "nhiều"
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "manifest.json").write_text('{"startedAt": "x"}', encoding="utf-8")
    report = import_paths([tmp_path], actor=None)
    assert report.failed == [
        ("bad.json", "Mức phí “nhiều” không phải số."),
        ("broken.json", "JSON không hợp lệ (dòng 1)"),
    ]
    assert report.skipped == ["manifest.json"]
    assert (Procedure.objects.count(), ProcedureVersion.objects.count()) == (0, 0)
    assert not AuditRecord.objects.filter(action__startswith="catalogue.").exists()


@pytest.mark.django_db
def test_the_command(tmp_path: Path):
    (tmp_path / "a.json").write_text(json.dumps(record(), ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("catalogue", "import", str(tmp_path), stdout=out)
    assert out.getvalue().strip() == (
        "1 mới, 0 có phiên bản mới, 0 không đổi, 0 lỗi, 0 tệp không phải bản ghi thủ tục"
    )
    with pytest.raises(CommandError, match="không tìm thấy"):
        call_command("catalogue", "import", str(tmp_path / "none"))


@needs_samples
def test_the_real_birth_registration_record():
    raw = json.loads((SAMPLES / "details" / "1.001193.json").read_text(encoding="utf-8"))
    parsed = parse_record(raw)
    assert (parsed.code, parsed.spec.name, parsed.field_code, parsed.levels) == (
        "1.001193",
        "Đăng ký khai sinh",
        "G15-TP07",
        ["commune"],
    )
    assert (parsed.spec.processing_days, parsed.spec.online_type, parsed.spec.channels) == (
        Decimal("1"),
        "mot_phan",
        ["online", "counter", "post"],
    )
    assert parsed.spec.result_name == "Giấy khai sinh"
    assert len(parsed.spec.components) == 33
    # The compact capture of the same record differs only in list order: same content.
    compact = json.loads((SAMPLES / "sample-formality-detail.json").read_text(encoding="utf-8"))
    assert parse_record(compact).spec.content_hash() == parsed.spec.content_hash()


@needs_samples
@pytest.mark.django_db
def test_importing_the_sample_folder_twice(tmp_path: Path):
    files = sorted((SAMPLES / "details").glob("1.00*.json"))[:12]
    for f in files:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    first = import_paths([tmp_path], actor=None)
    second = import_paths([tmp_path], actor=None)
    assert (len(first.created), first.failed) == (12, [])
    assert (len(second.unchanged), second.created, second.updated) == (12, [], [])
    assert copy.copy(ProcedureVersion.objects.count()) == 12
