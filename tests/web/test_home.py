"""The home page and the API's front door."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_home_page_is_vietnamese(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert "Cổng dịch vụ công Đắk Lắk" in html
    assert "Chuyển đến nội dung chính" in html


@pytest.mark.django_db
def test_openapi_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "tinhso API"
    assert "/api/v1/health" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_health(client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}


@pytest.mark.django_db
def test_unknown_api_path_is_a_typed_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
