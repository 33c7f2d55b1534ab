"""Control characters and unreadable bodies are refused at the edge with a 400, never a 500,
and nothing is saved (the probe's findings: NUL in paths, queries and JSON fields reached
PostgreSQL; multipart bodies without a boundary broke the documents draft endpoint)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tinhso.core.edge import CONTROL, MalformedInput, has_control, inspect
from tinhso.core.models import AuditRecord
from tinhso.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/procedures/%00",
        "/api/v1/places/agencies/%00",
        "/open311/v2/requests.json?service_code=%00",
        "/open311/v2/tokens/%00.json",
        "/api/v1/procedures?q=a%01b",
    ],
)
def test_the_api_answers_a_typed_400(url):
    response = Client().get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_input"
    assert "ký tự điều khiển" in body["detail"]


@pytest.mark.parametrize("url", ["/thu-tuc/%00/", "/thu-tuc/?q=%00", "/tra-cuu-ho-so/?ma=%1f"])
def test_pages_answer_the_vietnamese_400_page(url):
    response = Client().get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_inside_a_json_field_saves_nothing():
    before = (Dossier.objects.count(), AuditRecord.objects.count())
    body = {"procedure": "2.000488", "form": {"ho_ten": "Nguyễn\u0000Văn An"}, "delivery": "online"}
    response = Client().post(
        "/api/v1/dossiers",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "khoa-nul-0001"},
    )
    assert response.status_code == 400
    assert response.json()["loc"] == ["body", "form", "ho_ten"]
    assert (Dossier.objects.count(), AuditRecord.objects.count()) == before


def test_a_nul_in_a_form_field_of_a_page():
    response = Client().post("/dang-nhap/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 400


def test_multipart_without_a_boundary_is_a_400():
    response = Client().generic(
        "POST",
        "/van-ban/du-thao/moi/",
        b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_text_controls_pass_and_others_do_not():
    assert not CONTROL.search("Dòng một\r\n\tdòng hai — đ")
    for char in ("\x00", "\x07", "\x1b", "\x7f", "\x85"):
        assert CONTROL.search(f"a{char}b"), repr(char)


def test_has_control_finds_what_the_pattern_finds_for_every_character():
    # ASCII strings take the translate path, the others the pattern: the two must agree on
    # every code point, alone and inside ASCII or non-ASCII text.
    for code in range(0x110000):
        char = chr(code)
        expected = CONTROL.search(char) is not None
        assert has_control(char) is expected, hex(code)
        assert has_control(f"abc{char}xyz") is expected, hex(code)
        assert has_control(f"đ{char}") is expected, hex(code)


@pytest.mark.parametrize("control", ["\x00", "\x1f", "\x7f", "\x85", "\ud800"])
def test_a_control_at_the_end_of_a_large_json_string_is_found(rf, control):
    # An attachment's base64 is a 270 KB ASCII string: the control is found at its very end.
    large = "QUJD" * 70_000
    request = rf.post(
        "/api/v1/x",
        json.dumps({"attachments": [{"content_base64": large + control}]}),
        content_type="application/json",
    )
    with pytest.raises(MalformedInput) as refused:
        inspect(request)
    assert refused.value.where == "body.attachments[0].content_base64"
    clean = rf.post(
        "/api/v1/x",
        json.dumps({"attachments": [{"content_base64": large + "\r\n\t"}]}),
        content_type="application/json",
    )
    inspect(clean)  # nothing raised


def test_json_keys_are_inspected_too(rf):
    request = rf.post("/api/v1/x", json.dumps({"a\x00": 1}), content_type="application/json")
    with pytest.raises(MalformedInput):
        inspect(request)


@pytest.mark.parametrize(
    "body, boundary",
    [
        (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n", "x"),
        (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x", "x"),  # cut off
        (b'--x\r\nContent-Disposition: form-data; name=f; filename="a.pdf"\r\n\r\n%PDF\r\n', "x"),
    ],
)
def test_multipart_to_a_json_operation_is_refused_by_the_api_not_a_500(body, boundary):
    # The edge reads the form to inspect it; the JSON operation then reads the body, which
    # Django refuses once the stream is consumed (RawPostDataException: a 500 before).
    before = (Dossier.objects.count(), AuditRecord.objects.count())
    response = Client().generic(
        "POST",
        "/api/v1/dossiers/lookup",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert 400 <= response.status_code < 500
    assert (Dossier.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.parametrize("path", ["/van-ban/du-thao/moi/", "/api/v1/dossiers/lookup"])
def test_multipart_cut_off_before_its_close_delimiter_is_a_400(path):
    # Django's parser reads the parts before the cut as the whole form: half a form saved.
    whole = b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n"
    response = Client().generic(
        "POST", path, whole[: whole.index(b"--x--")], content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 400


def test_a_whole_multipart_form_passes_the_edge(rf):
    request = rf.post("/dang-nhap/", {"username": "an", "password": "mật khẩu"})
    inspect(request)  # nothing raised
    assert request.POST["password"] == "mật khẩu"
