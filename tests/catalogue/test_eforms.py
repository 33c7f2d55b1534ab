"""E-forms: server validation with a Vietnamese message per field, prefill, rendering hints."""

from __future__ import annotations

import unicodedata
from datetime import date
from types import SimpleNamespace

from tinhso.catalogue import eforms

from .conftest import BIRTH_LAYOUT, BIRTH_SCHEMA


def test_valid_data_is_cleaned_and_normalised():
    decomposed = unicodedata.normalize("NFD", "  Nguyễn   Văn An ")
    cleaned, errors = eforms.validate(
        BIRTH_SCHEMA,
        {
            "child_name": decomposed,
            "birth_date": "2026-10-01",
            "applicant_name": "Trần Thị Bình",
            "copies": "2",
            "sex": "Nữ",
            "email": "",
            "unknown": "ignored",
        },
    )
    assert errors == {}
    assert cleaned == {
        "child_name": "Nguyễn Văn An",
        "birth_date": "2026-10-01",
        "applicant_name": "Trần Thị Bình",
        "copies": 2,
        "sex": "Nữ",
    }
    assert unicodedata.is_normalized("NFC", cleaned["child_name"])


def test_each_bad_field_gets_its_own_vietnamese_message():
    cleaned, errors = eforms.validate(
        BIRTH_SCHEMA,
        {
            "child_name": "x" * 101,
            "birth_date": "2026-02-30",
            "applicant_name": "   ",
            "copies": "2,5",
            "sex": "Khác",
            "email": "khong-phai-email",
        },
    )
    assert errors == {
        "child_name": "“Họ, chữ đệm, tên của trẻ” không được dài quá 100 ký tự.",
        "birth_date": "“Ngày sinh” phải là ngày hợp lệ (năm-tháng-ngày).",
        "applicant_name": "Vui lòng nhập “Họ tên người yêu cầu”.",
        "copies": "“Số bản sao” phải là số nguyên.",
        "sex": "Vui lòng chọn một giá trị trong danh sách cho “Giới tính”.",
        "email": "“Thư điện tử” không phải địa chỉ thư điện tử hợp lệ.",
    }
    assert cleaned == {}


def test_numbers_bounds_booleans_and_patterns():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "title": "Số lượng", "minimum": 1, "maximum": 3},
            "x": {"type": "number", "title": "Diện tích"},
            "ok": {"type": "boolean", "title": "Cam đoan"},
            "id": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$"},
        },
        "required": ["ok"],
    }
    assert eforms.validate(schema, {"n": "4", "x": "12,5", "ok": "on", "id": "0661"}) == (
        {"x": 12.5, "ok": True},
        {"n": "“Số lượng” không được lớn hơn 3.", "id": "“Số định danh” không đúng định dạng."},
    )
    assert eforms.validate(schema, {"n": 0, "x": "abc"})[1] == {
        "n": "“Số lượng” không được nhỏ hơn 1.",
        "x": "“Diện tích” phải là số.",
        "ok": "Vui lòng đánh dấu “Cam đoan”.",
    }
    assert eforms.validate(schema, {"n": True, "ok": True})[1] == {"n": "“Số lượng” phải là số."}


def test_prefill_takes_the_citizens_profile_where_the_layout_says():
    citizen = SimpleNamespace(full_name="Nguyễn Văn An", email="", date_of_birth=date(1990, 5, 1))
    layout = {
        **BIRTH_LAYOUT,
        "prefill": {**BIRTH_LAYOUT["prefill"], "birth_date": "citizen.date_of_birth"},
    }
    assert eforms.prefill(BIRTH_SCHEMA, layout, citizen) == {
        "applicant_name": "Nguyễn Văn An",
        "birth_date": "1990-05-01",
    }
    assert eforms.prefill(BIRTH_SCHEMA, layout, None) == {}
    assert eforms.prefill(BIRTH_SCHEMA, layout, {"full_name": "Lê Thị C"}) == {
        "applicant_name": "Lê Thị C"
    }


def test_fields_follow_the_layout_order_and_carry_errors():
    views = eforms.fields(BIRTH_SCHEMA, BIRTH_LAYOUT, {"child_name": "An"}, {"sex": "Sai"})
    assert [v.name for v in views] == [
        "applicant_name",
        "child_name",
        "birth_date",
        "sex",
        "copies",
        "email",
    ]
    sex = views[3]
    assert (sex.input_type, sex.choices, sex.error, sex.required) == (
        "select",
        [("Nam", "Nam"), ("Nữ", "Nữ")],
        "Sai",
        False,
    )
    assert sex.describedby == "ef-sex-error"
    assert (views[1].value, views[1].required, views[1].max_length) == ("An", True, 100)
    assert (views[2].input_type, views[4].input_type, views[4].step) == ("date", "number", "1")


def test_check_schema_names_every_problem():
    assert eforms.check_schema(BIRTH_SCHEMA, BIRTH_LAYOUT) == []
    problems = eforms.check_schema(
        {
            "type": "object",
            "properties": {
                "Tên": {"type": "string", "title": "Tên"},
                "a": {"type": "array", "title": "A", "items": {}},
                "b": {"type": "string", "format": "uri", "pattern": "("},
            },
            "required": ["c"],
        },
        {"order": ["z"], "prefill": {"a": "user.name"}},
    )
    assert problems == [
        "Tên trường “Tên” chỉ được dùng chữ thường không dấu, số và _.",
        "Trường “a” có thuộc tính không hỗ trợ: items.",
        "Trường “a” có kiểu không hỗ trợ: 'array'.",
        "Trường “b” có định dạng không hỗ trợ: 'uri'.",
        "Trường “b”: biểu thức pattern không hợp lệ.",
        "Trường “b” thiếu nhãn (title).",
        "Trường bắt buộc “c” không có trong properties.",
        "Bố cục nhắc đến trường không tồn tại: “z”.",
        "Nguồn điền sẵn của “a” phải bắt đầu bằng citizen.",
    ]
    assert eforms.check_schema({"type": "array"}) == [
        'Biểu mẫu phải là JSON Schema với "type": "object".'
    ]


def test_the_include_template_renders_accessible_fields():
    from django.template.loader import render_to_string

    views = eforms.fields(BIRTH_SCHEMA, BIRTH_LAYOUT, {}, {"child_name": "Vui lòng nhập tên."})
    html = render_to_string("catalogue/eform_fields.html", {"fields": views})
    assert '<label for="ef-child_name">Họ, chữ đệm, tên của trẻ' in html
    assert 'aria-describedby="ef-child_name-error" aria-invalid="true"' in html
    assert '<p class="ef-error" id="ef-child_name-error">Vui lòng nhập tên.</p>' in html
    assert html.count("<label for=") == len(views)


def test_check_schema_reports_values_of_the_wrong_json_type():
    problems = eforms.check_schema(
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "string",
                    "title": 5,
                    "pattern": 123,
                    "minLength": "2",
                    "maxLength": -1,
                    "description": ["x"],
                },
                "b": {"type": "number", "title": "B", "minimum": "0", "maximum": True},
            },
            "required": "a",
        },
        {"order": "a", "prefill": ["a"], "groups": {"fields": []}, "widgets": []},
    )
    assert problems == [
        "Trường “a”: pattern phải là một chuỗi ký tự.",
        "Trường “a”: minLength phải là số nguyên không âm.",
        "Trường “a”: maxLength phải là số nguyên không âm.",
        "Trường “a”: title phải là một chuỗi ký tự.",
        "Trường “a”: description phải là một chuỗi ký tự.",
        "Trường “b”: minimum phải là một số.",
        "Trường “b”: maximum phải là một số.",
        '"required" phải là danh sách tên trường.',
        'Bố cục: "order" phải là danh sách tên trường.',
        'Bố cục: "groups" phải là danh sách nhóm, mỗi nhóm có "fields".',
        'Bố cục: "widgets" phải là một đối tượng.',
        'Bố cục: "prefill" phải là một đối tượng.',
    ]
    assert eforms.check_schema({"type": "object", "properties": {}, "required": [{"a": 1}, 3]}) == [
        '"required" phải là danh sách tên trường.'
    ]
