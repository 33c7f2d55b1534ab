"""The public catalogue pages, and the admin: drafts, e-form editor with preview, publishing."""

from __future__ import annotations

import json

import pytest

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.models import AuditRecord

from .conftest import BIRTH_LAYOUT, BIRTH_SCHEMA, sign_in

pytestmark = pytest.mark.django_db


def test_search_page_lists_matches_best_first(client, civil_status):
    html = client.get("/thu-tuc/", {"q": "ĐĂNG KÝ KHAI SINH"}).content.decode()
    assert "3 thủ tục phù hợp" in html
    first = html.index("Thủ tục đăng ký khai sinh</a>")
    assert first < html.index("Thủ tục đăng ký lại khai sinh</a>")
    assert '<label for="cat-q">' in html and '<label for="cat-field">' in html


def test_search_page_ignores_bad_filters(client, civil_status):
    response = client.get("/thu-tuc/", {"level": "xyz", "online_type": "1", "page": "abc"})
    assert response.status_code == 200
    assert "8 thủ tục" in response.content.decode()


def test_procedure_page_has_what_a_citizen_needs(client, civil_status):
    html = client.get("/thu-tuc/2.000635/").content.decode()
    assert "<h1>Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh</h1>" in html
    for text in (
        "2.000635",
        "Hộ tịch",
        "3 ngày làm việc",
        "Dịch vụ công trực tuyến một phần",
        "qua bưu chính công ích",
        "Phí cấp bản sao",
        "8.000 đồng",
        "Tờ khai",
        "1 bản chính",
        "Giấy chứng nhận",
        "Ủy ban nhân dân xã, phường nơi thực hiện",
    ):
        assert text in html, text


def test_unknown_procedure_page_is_404(client, civil_status):
    assert client.get("/thu-tuc/9.999999/").status_code == 404


def test_eform_preview_requires_a_catalogue_administrator(client, civil_status):
    version = civil_status["birth"].current_version
    url = f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/preview/"
    response = client.post(url, {"schema": "{}", "layout": "{}"})
    assert response.status_code == 302  # to the admin sign-in
    assert "/quan-tri/login/" in response["Location"]


def test_eform_editor_preview_renders_the_fields_with_prefill(client, civil_status, staff):
    sign_in(client, staff)
    version = civil_status["birth"].current_version
    url = f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/preview/"
    body = client.post(
        url, {"schema": json.dumps(BIRTH_SCHEMA), "layout": json.dumps(BIRTH_LAYOUT)}
    ).json()
    assert body["problems"] == []
    assert 'id="ef-applicant_name" name="applicant_name" value="Nguyễn Thị Mẫu"' in body["html"]
    bad = client.post(url, {"schema": '{"type": "object",', "layout": "{}"}).json()
    assert bad == {"problems": ["JSON Schema không hợp lệ: dòng 1, cột 19."], "html": ""}
    page = client.get(f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/")
    assert page.status_code == 200
    assert "Họ, chữ đệm, tên của trẻ" in page.content.decode()


def test_saving_the_eform_of_a_published_version_makes_a_draft(client, civil_status, staff):
    sign_in(client, staff)
    version = civil_status["birth"].current_version
    schema = {
        "type": "object",
        "properties": {"note": {"type": "string", "title": "Ghi chú"}},
        "required": ["note"],
    }
    response = client.post(
        f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/",
        {"schema": json.dumps(schema), "layout": "{}"},
    )
    assert response.status_code == 302
    draft = ProcedureVersion.objects.get(procedure=version.procedure, number=2)
    assert (draft.state, draft.eform_schema) == ("draft", schema)
    version.refresh_from_db()
    assert (version.state, version.eform_schema) == ("published", BIRTH_SCHEMA)
    assert AuditRecord.objects.filter(
        action="catalogue.version.drafted", object_id=str(draft.pk), actor=staff
    ).exists()
    # publishing it is an admin action, audited
    response = client.post(
        "/quan-tri/catalogue/procedureversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "published"
    assert (
        AuditRecord.objects.get(action="catalogue.version.published", object_id=str(draft.pk)).actor
        == staff
    )


def test_an_invalid_eform_is_refused_and_nothing_changes(client, civil_status, staff):
    sign_in(client, staff)
    version = civil_status["birth"].current_version
    before = (ProcedureVersion.objects.count(), AuditRecord.objects.count())
    response = client.post(
        f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/",
        {
            "schema": json.dumps({"type": "object", "properties": {"x": {"type": "file"}}}),
            "layout": "{}",
        },
    )
    assert response.status_code == 200
    assert "Trường “x” có kiểu không hỗ trợ: &#x27;file&#x27;." in response.content.decode()
    assert (ProcedureVersion.objects.count(), AuditRecord.objects.count()) == before


def test_a_non_staff_official_cannot_open_the_editor_and_nothing_changes(client, civil_status):
    from tinhso.people import actions as people_actions

    clerk = people_actions.create_official(
        username="vanthu",
        full_name="Văn Thư",
        email="vanthu@example.com",
        password="mat-khau-rat-dai-2025",
        actor=None,
    )
    people_actions.enroll_totp(clerk, actor=None)
    sign_in(client, clerk)
    version = civil_status["birth"].current_version
    before = (ProcedureVersion.objects.count(), AuditRecord.objects.count())
    response = client.post(
        f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/",
        {"schema": json.dumps(BIRTH_SCHEMA), "layout": "{}"},
    )
    assert response.status_code == 302 and "/quan-tri/login/" in response["Location"]
    assert (ProcedureVersion.objects.count(), AuditRecord.objects.count()) == before


def test_draft_fields_are_saved_through_the_action(client, civil_status, staff):
    from tinhso.catalogue import actions

    sign_in(client, staff)
    draft = actions.create_draft(civil_status["marriage"], actor=None)
    response = client.post(
        f"/quan-tri/catalogue/procedureversion/{draft.pk}/change/",
        _draft_post(
            draft,
            processing_days="5",
            channels=["online", "counter"],
            result_name="Giấy chứng nhận kết hôn",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert (str(draft.processing_days), draft.channels, draft.result_name) == (
        "5.0",
        ["online", "counter"],
        "Giấy chứng nhận kết hôn",
    )
    record = AuditRecord.objects.get(action="catalogue.version.updated", object_id=str(draft.pk))
    assert record.actor == staff
    assert record.changes["result_name"] == ["Giấy chứng nhận", "Giấy chứng nhận kết hôn"]


def _draft_post(draft, **overrides):
    data = {
        "name": draft.name,
        "processing_days": str(draft.processing_days),
        "processing_hours": "",
        "processing_note": "",
        "online_type": draft.online_type,
        "channels": draft.channels,
        "fees": json.dumps(draft.fees),
        "result_name": draft.result_name,
        "legal_basis": "",
        "conditions": "",
        "steps": "",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
    }
    components = list(draft.components.all())
    data["components-TOTAL_FORMS"] = str(len(components))
    data["components-INITIAL_FORMS"] = str(len(components))
    for i, c in enumerate(components):
        data.update(
            {
                f"components-{i}-id": str(c.pk),
                f"components-{i}-version": str(draft.pk),
                f"components-{i}-position": str(c.position),
                f"components-{i}-code": c.code,
                f"components-{i}-name": c.name,
                f"components-{i}-originals": str(c.originals),
                f"components-{i}-copies": str(c.copies),
            }
        )
        if c.required:
            data[f"components-{i}-required"] = "on"
    data.update(overrides)
    return data


def _small_docx() -> bytes:
    """A blank form as Word writes one: a ZIP with the document part (the admin checks it)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Tờ khai</w:document>")
    return buffer.getvalue()


def test_draft_components_are_edited_through_the_action(
    client, civil_status, staff, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.catalogue import actions

    settings.MEDIA_ROOT = str(tmp_path)
    sign_in(client, staff)
    draft = actions.create_draft(civil_status["marriage"], actor=None)
    blank = _small_docx()
    data = _draft_post(
        draft,
        **{
            "components-TOTAL_FORMS": "2",
            "components-1-version": str(draft.pk),
            "components-1-position": "2",
            "components-1-code": "TK01",
            "components-1-name": "Tờ khai đăng ký kết hôn (theo mẫu)",
            "components-1-originals": "1",
            "components-1-copies": "0",
            "components-1-required": "on",
            "components-1-from_datastore": "",
            "components-1-form_file": SimpleUploadedFile(
                "to-khai.docx", blank, content_type="application/octet-stream"
            ),
        },
    )
    response = client.post(f"/quan-tri/catalogue/procedureversion/{draft.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = list(draft.components.order_by("position"))
    assert [(c.position, c.code, c.name, c.required) for c in rows] == [
        (1, "", "Tờ khai", True),
        (2, "TK01", "Tờ khai đăng ký kết hôn (theo mẫu)", True),
    ]
    assert rows[1].form_file.name.startswith("catalogue/forms/to-khai")
    assert rows[1].form_file.read() == blank
    record = AuditRecord.objects.get(action="catalogue.version.updated", object_id=str(draft.pk))
    assert [c["code"] for c in record.changes["components"][1]] == ["", "TK01"]
    # the published version is untouched
    assert civil_status["marriage"].current_version.components.count() == 1


def test_an_invalid_draft_is_refused_on_the_form_and_nothing_changes(client, civil_status, staff):
    from tinhso.catalogue import actions

    sign_in(client, staff)
    draft = actions.create_draft(civil_status["marriage"], actor=None)
    before = (AuditRecord.objects.count(), ProcedureVersion.objects.get(pk=draft.pk).online_type)
    response = client.post(
        f"/quan-tri/catalogue/procedureversion/{draft.pk}/change/",
        _draft_post(draft, online_type="khong"),
    )
    assert response.status_code == 200
    assert (
        "Thủ tục nhận hồ sơ trực tuyến phải là DVCTT toàn trình hoặc một phần."
        in response.content.decode()
    )
    assert (
        AuditRecord.objects.count(),
        ProcedureVersion.objects.get(pk=draft.pk).online_type,
    ) == before


def test_staff_without_the_catalogue_permission_is_refused(client, civil_status):
    from tinhso.people import actions as people_actions

    clerk = people_actions.create_official(
        username="nhanvien",
        full_name="Nhân Viên",
        email="nhanvien@example.com",
        password="mat-khau-rat-dai-2025",
        actor=None,
        is_staff=True,
    )
    people_actions.enroll_totp(clerk, actor=None)
    sign_in(client, clerk)
    version = civil_status["birth"].current_version
    before = (ProcedureVersion.objects.count(), AuditRecord.objects.count())
    url = f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/"
    assert client.post(url, {"schema": "{}", "layout": "{}"}).status_code == 403
    assert client.post(url + "preview/", {"schema": "{}", "layout": "{}"}).status_code == 403
    assert (ProcedureVersion.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        (
            {"type": "object", "properties": {"x": {"type": "string", "title": "X", "pattern": 1}}},
            "Trường “x”: pattern phải là một chuỗi ký tự.",
        ),
        (
            {"type": "object", "properties": {}, "required": 7},
            "&quot;required&quot; phải là danh sách tên trường.",
        ),
    ],
)
def test_a_schema_value_of_the_wrong_type_is_shown_in_the_editor_and_nothing_changes(
    client, civil_status, staff, schema, problem
):
    sign_in(client, staff)
    version = civil_status["birth"].current_version
    before = (ProcedureVersion.objects.count(), AuditRecord.objects.count())
    response = client.post(
        f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/",
        {"schema": json.dumps(schema), "layout": "{}"},
    )
    assert response.status_code == 200
    assert problem in response.content.decode()
    preview = client.post(
        f"/quan-tri/catalogue/procedureversion/{version.pk}/eform/preview/",
        {"schema": json.dumps(schema), "layout": "{}"},
    ).json()
    assert preview["html"] == "" and len(preview["problems"]) == 1
    assert (ProcedureVersion.objects.count(), AuditRecord.objects.count()) == before
