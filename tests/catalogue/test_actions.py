"""Versions and publishing: edits make drafts, publishing supersedes, every change audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tinhso.catalogue import actions, errors
from tinhso.catalogue.errors import CatalogueError
from tinhso.catalogue.models import Procedure, ProcedureVersion
from tinhso.catalogue.rules import ComponentSpec, display_name
from tinhso.core.models import AuditRecord

from .conftest import spec

pytestmark = pytest.mark.django_db


def test_importing_the_same_content_twice_publishes_one_version(publish):
    first = publish("1.001193", "Đăng ký khai sinh")
    again = publish("1.001193", "Đăng ký khai sinh")
    assert first.pk == again.pk
    assert list(first.versions.values_list("number", "state")) == [(1, "published")]
    assert AuditRecord.objects.filter(action="catalogue.version.published").count() == 1


def test_changed_content_publishes_a_new_version_and_supersedes_the_old(publish):
    procedure = publish("1.001193", "Đăng ký khai sinh")
    old = procedure.current_version
    procedure = publish("1.001193", "Đăng ký khai sinh", processing_days=Decimal("2"))
    procedure.refresh_from_db()
    assert list(procedure.versions.order_by("number").values_list("number", "state")) == [
        (1, "superseded"),
        (2, "published"),
    ]
    assert procedure.current_version.processing_days == Decimal("2")
    old.refresh_from_db()
    assert (old.state, old.processing_days) == ("superseded", Decimal("3"))
    record = AuditRecord.objects.filter(action="catalogue.version.published").last()
    assert record.object_id == str(procedure.current_version.pk)
    assert record.changes == {"state": ["draft", "published"], "superseded": [None, 1]}


def test_a_draft_is_edited_and_published_by_actions(publish, staff):
    procedure = publish("1.000894", "Đăng ký kết hôn")
    draft = actions.create_draft(
        procedure, actor=staff, changes={"fees": [{"name": "Lệ phí", "amount": 0, "note": "Miễn"}]}
    )
    assert (draft.number, draft.state, procedure.current_version.number) == (2, "draft", 1)
    draft = actions.update_draft(
        draft,
        actor=staff,
        changes={
            "name": "  Đăng ký  kết hôn (sửa) ",
            "components": [ComponentSpec(name="Tờ khai đăng ký kết hôn", originals=1)],
        },
    )
    assert draft.name == "Đăng ký kết hôn (sửa)"
    assert list(draft.components.values_list("position", "name", "originals")) == [
        (1, "Tờ khai đăng ký kết hôn", 1)
    ]
    update = AuditRecord.objects.get(action="catalogue.version.updated")
    assert update.actor == staff
    assert update.changes["name"] == ["Đăng ký kết hôn", "Đăng ký kết hôn (sửa)"]
    assert [c["name"] for c in update.changes["components"][1]] == ["Tờ khai đăng ký kết hôn"]
    assert draft.fees == [{"name": "Lệ phí", "amount": 0, "note": "Miễn"}]
    actions.publish_version(draft, actor=staff)
    procedure.refresh_from_db()
    assert (procedure.current_version_id, procedure.name) == (draft.pk, "Đăng ký kết hôn (sửa)")
    with pytest.raises(ValidationError) as caught:
        actions.update_draft(draft, actor=staff, changes={"name": "Khác"})
    assert caught.value.message_dict == {
        "state": ["Chỉ sửa được bản nháp; hãy tạo phiên bản mới để sửa thủ tục."]
    }
    assert (caught.value.code, caught.value.status) == (errors.NOT_A_DRAFT, 409)
    with pytest.raises(CatalogueError) as caught:
        actions.publish_version(draft, actor=staff)
    assert caught.value.code is errors.NOT_A_DRAFT


def test_bad_content_is_refused_per_field_and_nothing_is_saved(publish, staff):
    procedure = publish("1.000894", "Đăng ký kết hôn")
    before = (ProcedureVersion.objects.count(), AuditRecord.objects.count())
    with pytest.raises(ValidationError) as caught:
        actions.create_draft(
            procedure,
            actor=staff,
            changes={
                "processing_days": Decimal("3"),
                "processing_hours": Decimal("8"),
                "channels": ["counter", "fax"],
                "online_type": "toan_trinh",
                "fees": [{"name": "", "amount": 5}],
                "eform_schema": {"type": "object", "properties": {"a": {"type": "array"}}},
            },
        )
    assert caught.value.message_dict == {
        "processing_hours": ["Chỉ ghi thời hạn theo ngày làm việc hoặc theo giờ, không cả hai."],
        "channels": ["Dịch vụ công trực tuyến phải nhận hồ sơ qua kênh trực tuyến."],
        "fees": ["Mỗi khoản phí, lệ phí cần có tên và mức thu không âm."],
        "eform_schema": [
            "Trường “a” có kiểu không hỗ trợ: 'array'. Trường “a” thiếu nhãn (title)."
        ],
    }
    assert (ProcedureVersion.objects.count(), AuditRecord.objects.count()) == before


def test_the_database_allows_one_published_version_per_procedure(publish):
    procedure = publish("1.000894", "Đăng ký kết hôn")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVersion.objects.create(procedure=procedure, number=9, state="published", name="x")


def test_duplicate_code_is_refused(publish):
    procedure = publish("1.000894", "Đăng ký kết hôn")
    with pytest.raises(ValidationError) as caught:
        actions.create_procedure(
            code="1.000894", field=procedure.field, spec=spec("Khác"), actor=None
        )
    assert caught.value.message_dict == {"code": ["Mã thủ tục này đã có trong danh mục."]}
    assert Procedure.objects.count() == 1


def test_agency_and_activity_changes_are_audited(publish, agencies):
    procedure = publish("1.013236", "Cấp giấy phép xây dựng", levels=("province",))
    actions.set_agency(procedure, agencies["SXD"], actor=None)
    actions.set_active(procedure, False, actor=None)
    assert list(
        AuditRecord.objects.filter(
            object_id=str(procedure.pk), action__startswith="catalogue.procedure."
        )
        .order_by("id")
        .values_list("action", "changes")
    ) == [
        ("catalogue.procedure.created", {"code": [None, "1.013236"], "version": [None, 1]}),
        ("catalogue.procedure.agency_set", {"agency": [None, "000.00.07.H66"]}),
        ("catalogue.procedure.deactivated", {"is_active": [True, False]}),
    ]


def test_display_name_drops_the_leading_thu_tuc():
    assert display_name("Thủ tục đăng ký khai sinh") == "Đăng ký khai sinh"
    assert display_name("Đăng ký thường trú.") == "Đăng ký thường trú"
    assert display_name("Thủ tục") == "Thủ tục"


def test_processing_label_and_fees():
    version = ProcedureVersion(
        processing_days=Decimal("1.5"), fees=[{"amount": 8000}, {"amount": 2000}]
    )
    assert (version.processing_label, version.total_fee) == ("1,5 ngày làm việc", 10000)
    assert ProcedureVersion(processing_hours=Decimal("8")).processing_label == "8 giờ làm việc"
    assert ProcedureVersion(processing_note="Trong ngày").processing_label == "Trong ngày"
