"""The site's own error pages: Vietnamese, in the site layout, with a way back, DEBUG off."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.test import Client
from django.urls import path

from tinhso.urls import urlpatterns as site_urls


def _forbidden(request):
    raise PermissionDenied


def _bad(request):
    raise SuspiciousOperation("bad")


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("cam/", _forbidden),
    path("hong/", _bad),
    path("loi/", _broken),
    *site_urls,
]
handler400 = "tinhso.web.views.bad_request"
handler403 = "tinhso.web.views.permission_denied"
handler404 = "tinhso.web.views.page_not_found"
handler500 = "tinhso.web.views.server_error"


@pytest.fixture
def pages(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


WAYS_BACK = ('href="/"', 'href="/tra-cuu-ho-so/"', 'href="/dang-nhap/"')


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/hong/", 400, "Yêu cầu không hợp lệ"),
        ("/cam/", 403, "Bạn không có quyền xem trang này"),
        ("/khong-co-trang-nay/", 404, "Không tìm thấy trang"),
        ("/loi/", 500, "Hệ thống đang gặp sự cố"),
    ],
)
def test_each_error_is_the_sites_vietnamese_page(pages, url, status, heading):
    response = pages.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert f"<h1>{heading}</h1>" in html
    assert '<main id="noi-dung"' in html  # the site layout
    for link in WAYS_BACK:
        assert link in html
    assert "Not Found" not in html and "Forbidden" not in html and "Server Error" not in html


@pytest.mark.django_db
def test_error_pages_follow_a_chosen_english(pages):
    pages.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = pages.get("/khong-co-trang-nay/").content.decode()
    assert '<html lang="en"' in html
    assert "<h1>Page not found</h1>" in html


@pytest.mark.django_db
def test_api_paths_keep_json_errors(pages):
    response = pages.get("/api/khong-co/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "not_found",
        "message": "Không tìm thấy trang",
        "detail": "Không tìm thấy trang",
    }


@pytest.mark.django_db
def test_a_refused_form_shows_the_vietnamese_page_and_the_way_back(settings):
    settings.DEBUG = False
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/i18n/setlang/",
        {"language": "en"},
        HTTP_REFERER="http://testserver/thu-tuc/",
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert "<h1>Trang đã cũ, thông tin chưa được gửi</h1>" in html
    assert 'href="http://testserver/thu-tuc/">Mở lại trang vừa gửi' in html
    assert "CSRF" not in html and "Forbidden" not in html


@pytest.mark.django_db
def test_the_way_back_never_leads_off_site(settings):
    settings.DEBUG = False
    browser = Client(enforce_csrf_checks=True)
    html = browser.post(
        "/i18n/setlang/", {"language": "en"}, HTTP_REFERER="https://evil.example/"
    ).content.decode()
    assert "evil.example" not in html
    assert "Mở lại trang vừa gửi" not in html


@pytest.mark.django_db
def test_the_500_page_shows_with_the_database_down(pages, monkeypatch):
    def down(*args, **kwargs):
        raise DatabaseError("database is down")

    # Every query fails from here on, as with the database server stopped.
    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", down)
    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.executemany", down)
    response = pages.get("/loi/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Hệ thống đang gặp sự cố</h1>" in html
    assert 'href="/tra-cuu-ho-so/"' in html


@pytest.mark.django_db
def test_a_404_with_the_database_down_is_still_a_page(pages, monkeypatch):
    def down(*args, **kwargs):
        raise DatabaseError("database is down")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", down)
    response = pages.get("/khong-co-trang-nay/")
    assert response.status_code == 500
    assert "<h1>Hệ thống đang gặp sự cố</h1>" in response.content.decode()


@pytest.mark.django_db
def test_an_action_address_opened_in_the_browser_says_so_in_vietnamese(pages):
    """A withdraw or sign-out address reopened from history: not the browser's English
    'HTTP ERROR 405' page, but ours, with the status kept and a way to the page it belongs."""
    response = pages.get("/dang-xuat/")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    html = response.content.decode()
    assert "Không mở trực tiếp được địa chỉ này" in html
    assert 'href="/"' in html
    assert pages.get("/api/v1/dossiers/lookup").status_code == 405  # the API keeps JSON
