"""GET /api/v1/procedures and /api/v1/procedures/{code}: public, best match first."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_search_returns_items_and_count_best_first(client, civil_status):
    body = client.get("/api/v1/procedures", {"q": "dang ky khai sinh"}).json()
    assert body["count"] == 3
    assert body["query"] == "dang ky khai sinh"
    first = body["items"][0]
    assert first == {
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": {"code": "G15-TP07", "name": "Hộ tịch"},
        "levels": ["commune"],
        "agency": None,
        "online_type": "mot_phan",
        "online_type_label": "dịch vụ công trực tuyến một phần",
        "channels": ["online", "counter", "post"],
        "processing": "1 ngày làm việc",
        "total_fee": 0,
        "url": "/thu-tuc/1.001193/",
    }


@pytest.mark.parametrize("q", ["ĐĂNG KÝ KHAI SINH", "khai sinh"])
def test_search_is_diacritic_and_case_insensitive(client, civil_status, q):
    assert client.get("/api/v1/procedures", {"q": q}).json()["items"][0]["code"] == "1.001193"


def test_filters_and_paging(client, civil_status):
    body = client.get(
        "/api/v1/procedures", {"online_type": "toan_trinh", "level": "commune"}
    ).json()
    assert [i["code"] for i in body["items"]] == ["1.004222"]
    page = client.get("/api/v1/procedures", {"q": "khai sinh", "limit": 1, "offset": 1}).json()
    assert ([i["code"] for i in page["items"]], page["count"]) == (["1.004884"], 4)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "district"}, "level"),
        ({"online_type": "muc_4"}, "online_type"),
        ({"limit": 0}, "limit"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_are_422_per_field(client, civil_status, params, field):
    response = client.get("/api/v1/procedures", params)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == [field]


def test_one_procedure(client, civil_status):
    body = client.get("/api/v1/procedures/1.001193").json()
    assert (body["code"], body["version"], body["processing_days"], body["processing_hours"]) == (
        "1.001193",
        1,
        "1.0",
        None,
    )
    assert body["components"] == [
        {
            "position": 1,
            "code": "",
            "name": "Tờ khai",
            "originals": 1,
            "copies": 0,
            "required": True,
            "from_datastore": False,
            "group": "",
            "form_url": None,
        }
    ]
    assert body["eform_schema"]["required"] == ["child_name", "birth_date", "applicant_name"]
    assert body["eform_layout"]["prefill"] == {
        "applicant_name": "citizen.full_name",
        "email": "citizen.email",
    }


def test_unknown_or_inactive_procedure_is_404(client, civil_status):
    from tinhso.catalogue import actions

    response = client.get("/api/v1/procedures/9.999999")
    text = "Không có thủ tục đang công bố mã 9.999999."
    assert (response.status_code, response.json()) == (
        404,
        {"code": "catalogue.procedure_not_found", "message": text, "detail": text},
    )
    actions.set_active(civil_status["death"], False, actor=None)
    assert client.get("/api/v1/procedures/1.000656").status_code == 404


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_search_answer_is_what_its_schema_would_write(client, civil_status, language):
    """The search writes its rows without validating them through ProcedureList (issue 12):
    validating them must change nothing, byte for byte, or the fast path has drifted from
    the documented schema."""
    from django.conf import settings

    from tinhso.catalogue.api import _RENDERER, ProcedureList

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for q in ["dang ky khai sinh", "", "hôn nhân", "không có gì"]:
        response = client.get("/api/v1/procedures", {"q": q, "limit": 100})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        validated = ProcedureList.model_validate(response.json()).model_dump()
        rendered = _RENDERER.render(None, validated, response_status=200)
        assert response.content == rendered.encode()
    fees = client.get("/api/v1/procedures", {"q": "ban sao"}).json()["items"][0]
    assert (fees["code"], fees["total_fee"]) == ("2.000635", 8000)


def test_a_code_reverse_would_escape_gets_reverses_address(civil_status):
    from tinhso.catalogue.api import _page_urls

    url_of = _page_urls()

    assert url_of("1.001193") == "/thu-tuc/1.001193/"
    assert url_of("1.001 193") == "/thu-tuc/1.001%20193/"
