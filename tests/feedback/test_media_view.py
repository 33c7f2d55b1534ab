"""Photos and videos of field reports are served by the feedback app, under the report's
access rule: a published report's media to everyone, another report's only to its reporter and
the handling agency's officials; 404 for anyone else and for what does not exist."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tinhso.feedback import actions
from tinhso.feedback.media import clean_photo
from tinhso.feedback.models import Photo
from tinhso.people import actions as people_actions
from tinhso.people.models import Role

from .conftest import jpeg
from .test_office_views import sign_in


def _report(new_report, *, public: bool, reporter=None):
    photo = clean_photo(jpeg(gps=(12.6678, 108.0382)))
    new = new_report(consents_to_publish=public, photos=(photo,))
    return actions.submit_report(new, reporter=reporter)


def test_a_published_reports_photo_is_served_to_anyone_as_a_cacheable_jpeg(client, new_report):
    report = _report(new_report, public=True)
    photo = report.photos.get()
    response = client.get(f"/phan-anh/tep/{photo.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"pa-{photo.pk}-anh"'
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xff\xd8") and b"Exif" not in body
    again = client.get(f"/phan-anh/tep/{photo.pk}/", HTTP_IF_NONE_MATCH=f'"pa-{photo.pk}-anh"')
    assert again.status_code == 304


def test_an_unpublished_reports_photo_is_only_for_the_reporter_and_the_agency(
    client, new_report, citizen, make_official, agencies
):
    report = _report(new_report, public=False, reporter=citizen)
    photo = report.photos.get()
    url = f"/phan-anh/tep/{photo.pk}/"
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(citizen)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Vary"] == "Cookie"
    client.logout()
    handler = make_official("bmt", roles=((Role.SPECIALIST, agencies["BMT"]),))
    sign_in(client, handler)
    assert client.get(url).status_code == 200
    client.logout()
    elsewhere = make_official("eakao", roles=((Role.SPECIALIST, agencies["EAKAO"]),))
    sign_in(client, elsewhere)
    assert client.get(url).status_code == 404
    other = people_actions.register_citizen(
        full_name="Lê Văn Cường",
        personal_id="066190009999",
        password="mat-khau-rat-dai-2025",
        phone="0987000111",
    )
    client.logout()
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_unknown_files_and_a_photos_missing_video_are_404(client, new_report):
    report = _report(new_report, public=True)
    photo = report.photos.get()
    assert client.get(f"/phan-anh/tep/{photo.pk + 100}/").status_code == 404
    assert client.get(f"/phan-anh/tep/{photo.pk}/video/").status_code == 404


def test_the_report_page_links_its_photos_through_the_view_not_media(client, lights, communes):
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Đèn tắt.",
            "commune": "Xã Ea Kao",
            "photos": [SimpleUploadedFile("anh.jpg", jpeg(), "image/jpeg")],
            "consents_to_publish": "on",
        },
    )
    assert response.status_code == 302
    photo = Photo.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert f'<img src="/phan-anh/tep/{photo.pk}/"' in page
    assert "/media/" not in page
    assert client.get(f"/phan-anh/tep/{photo.pk}/").status_code == 200
