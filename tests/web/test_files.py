"""Files under /media/: public ones by path, private ones never, whatever DEBUG says."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_private_files_storage_path_is_not_reachable(client, media, settings, debug):
    settings.DEBUG = debug
    name = default_storage.save("dossiers/2026/12/giay-khai-sinh.pdf", ContentFile(b"%PDF-1.4"))
    assert (media / name).exists()
    response = client.get(f"/media/{name}")
    assert response.status_code == 404
    assert b"%PDF" not in response.content


@pytest.mark.django_db
def test_a_procedures_blank_form_is_served(client, media):
    name = default_storage.save("catalogue/forms/to-khai.docx", ContentFile(b"blank form"))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"blank form"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "disposition"),
    [("mau-don.pdf", "inline"), ("mau-don.html", "attachment"), ("mau-don.svg", "attachment")],
)
def test_only_a_pdf_form_opens_in_the_browser(client, media, name, disposition):
    """An .html or .svg uploaded among the forms must not run as a page of the site."""
    saved = default_storage.save(f"catalogue/forms/{name}", ContentFile(b"<script>x</script>"))
    response = client.get(f"/media/{saved}")
    assert response["Content-Disposition"].startswith(disposition)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "catalogue/forms/../../dossiers/x.pdf",
        "catalogue/forms/%2e%2e/%2e%2e/dossiers/x.pdf",
        "catalogue/forms//etc/passwd",
        "catalogue/forms/khong-co.docx",
    ],
)
def test_no_way_out_of_the_public_folder(client, media, path):
    default_storage.save("dossiers/x.pdf", ContentFile(b"%PDF-1.4"))
    assert client.get(f"/media/{path}").status_code == 404
