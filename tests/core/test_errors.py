"""Typed domain errors (tinhso.core.errors): a declared code decides the status, once, in the
API and in the pages; the message is data, never read to decide anything."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tinhso.core import errors
from tinhso.core.errors import DomainError, Kind

STALE = errors.declare("tests", "stale", Kind.CONFLICT, "Hồ sơ đã thay đổi, hãy tải lại.")
BAD = errors.declare("tests", "bad_field", Kind.INVALID, "Dữ liệu không hợp lệ.")
HIDDEN = errors.declare("tests", "hidden", Kind.NOT_FOUND, "Không tìm thấy hồ sơ.")


def test_a_code_is_declared_once():
    with pytest.raises(RuntimeError):
        errors.declare("tests", "stale", Kind.INVALID, "khác")
    assert errors.registered()["tests.stale"] is STALE


def test_an_error_needs_a_code_not_text():
    with pytest.raises(TypeError):
        DomainError("Hồ sơ đã nộp")  # type: ignore[arg-type]


def test_the_kind_gives_the_status_and_the_body():
    conflict = STALE()
    assert (conflict.status, conflict.message, conflict.errors) == (
        409,
        "Hồ sơ đã thay đổi, hãy tải lại.",
        {"__all__": "Hồ sơ đã thay đổi, hãy tải lại."},
    )
    assert conflict.as_json() == {
        "code": "tests.stale",
        "message": "Hồ sơ đã thay đổi, hãy tải lại.",
        "detail": "Hồ sơ đã thay đổi, hãy tải lại.",
    }
    invalid = BAD(fields={"phone": "Số điện thoại không đúng."})
    assert invalid.status == 422
    assert invalid.as_json()["detail"] == [
        {
            "loc": ["body", "phone"],
            "field": "phone",
            "msg": "Số điện thoại không đúng.",
            "type": "tests.bad_field",
        }
    ]
    assert BAD("Thiếu {what}.", what="tệp").message == "Thiếu tệp."


@pytest.mark.django_db
def test_the_pages_answer_an_uncaught_error_by_its_kind(rf: RequestFactory):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from tinhso.web.middleware import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda request: HttpResponse())

    def request(method: str, referer: str = ""):
        made = (
            getattr(rf, method)("/ho-so/1/", HTTP_REFERER=referer)
            if referer
            else getattr(rf, method)("/ho-so/1/")
        )
        made.session = SessionStore()
        made._messages = FallbackStorage(made)
        from django.contrib.auth.models import AnonymousUser

        made.user = AnonymousUser()
        return made

    assert middleware.process_exception(request("get"), HIDDEN()).status_code == 404
    back = request("post", "http://testserver/ho-so/1/")
    response = middleware.process_exception(back, STALE())
    assert (response.status_code, response["Location"]) == (303, "http://testserver/ho-so/1/")
    assert [str(m) for m in back._messages] == ["Hồ sơ đã thay đổi, hãy tải lại."]
    # a form posted from elsewhere gets the reason on a page, with the status
    elsewhere = middleware.process_exception(request("post", "https://evil.example/"), STALE())
    assert elsewhere.status_code == 409
    assert "Hồ sơ đã thay đổi, hãy tải lại." in elsewhere.content.decode()
    assert middleware.process_exception(request("get"), ValueError("x")) is None


@pytest.mark.django_db
def test_a_forbidden_page_says_why(rf: RequestFactory):
    from django.contrib.auth.models import AnonymousUser

    from tinhso.web.middleware import DomainErrorMiddleware

    only_signer = errors.declare(
        "tests", "not_signer", Kind.FORBIDDEN, "Chỉ người ký được giao mới ký được văn bản này."
    )
    request = rf.post("/van-ban/1/ky/")
    request.user = AnonymousUser()
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        request, only_signer()
    )
    assert response.status_code == 403
    assert "Chỉ người ký được giao mới ký được văn bản này." in response.content.decode()
