"""Text size and contrast preferences: plain links, a cookie, classes on <html>."""

from __future__ import annotations

import pytest

from tinhso.web.display import COOKIE, Display, parse


def test_parse_ignores_garbage():
    assert parse("lon.cao") == Display("lon", "cao")
    assert parse("huge.<script>") == Display("vua", "thuong")
    assert parse(None).css_classes == ""
    assert Display("lon", "cao").css_classes == "text-lg high-contrast"


@pytest.mark.django_db
def test_choosing_large_text_and_high_contrast(client):
    response = client.get("/hien-thi/?co-chu=lon&next=/thu-tuc/")
    assert response.status_code == 302
    assert response["Location"] == "/thu-tuc/"
    assert response.cookies[COOKIE].value == "lon.thuong"
    client.get("/hien-thi/?tuong-phan=cao&next=/")
    html = client.get("/").content.decode()
    assert '<html lang="vi" class="text-lg high-contrast">' in html
    assert "Tương phản thường" in html  # the toggle now offers the way back


@pytest.mark.django_db
def test_preferences_never_redirect_off_site(client):
    response = client.get("/hien-thi/?co-chu=nho&next=https://evil.example/")
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_english_is_selectable(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en"' in client.get("/").content.decode()
