"""Open311 POST `media_url`: checked on arrival, fetched after commit through the outbox with
SSRF protection, then checked and stripped like an uploaded photo. Real HTTP: a local
http.server on 127.0.0.1, reachable only because the test puts it on the allow-list."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from PIL import Image

from tinhso.core import outbox
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.feedback import actions, media
from tinhso.feedback.models import Event, Photo, Report
from tinhso.people import clients

from .conftest import jpeg

BASE = "/open311/v2"
POST = {
    "service_code": "giao-thong",
    "address_string": "12 Lê Duẩn, Buôn Ma Thuột",
    "description": "Ổ gà.",
    "attribute[muc-do]": "cao",
}


class Site:
    """Paths → (status, headers, body); records the paths asked for."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.asked: list[str] = []
        self.port = 0


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.asked.append(self.path)
            status, headers, content = state.pages.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_key(db):
    _, key = clients.issue("Ứng dụng ảnh", scopes=["open311.post"], actor=None)
    return key


@pytest.fixture
def allow_loopback(settings):
    settings.FEEDBACK_MEDIA_FETCH_ALLOW = ["127.0.0.1"]


def post(client, api_key, url):
    response = client.post(f"{BASE}/requests.json", {**POST, "api_key": api_key, "media_url": url})
    assert response.status_code == 201, response.content
    return Report.objects.get(pk=json.loads(response.content)[0]["service_request_id"])


def deliver_fetch() -> OutboxMessage:
    outbox.run_once("w1", limit=50)
    return OutboxMessage.objects.get(topic=actions.FETCH_MEDIA)


def test_a_good_photo_is_fetched_stripped_and_fills_in_the_place(
    client, roads, api_key, site, allow_loopback
):
    site.pages["/o-ga.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg(gps=(12.6678, 108.0382)))
    url = f"http://127.0.0.1:{site.port}/o-ga.jpg"
    report = post(client, api_key, url)
    assert Photo.objects.count() == 0 and site.asked == []  # nothing fetched inside the request
    assert deliver_fetch().state == OutboxMessage.State.DELIVERED
    assert site.asked == ["/o-ga.jpg"]
    photo = Photo.objects.get()
    assert (photo.report, photo.kind, photo.content_type) == (report, "photo", "image/jpeg")
    with photo.image.open("rb") as stored:
        content = stored.read()
    assert b"Exif" not in content and dict(Image.open(io.BytesIO(content)).getexif()) == {}
    report.refresh_from_db()
    assert (report.lat, report.long) == (Decimal("12.667800"), Decimal("108.038200"))
    record = AuditRecord.objects.get(action="feedback.report.attach_media")
    assert record.changes == {
        "media_url": url,
        "photo": photo.pk,
        "position": ["12.667800", "108.038200"],
    }
    submitted = AuditRecord.objects.get(action="feedback.report.submit")
    assert submitted.changes["media_url"] == url
    # Open311 GET now gives our copy, never the client's URL.
    [row] = json.loads(client.get(f"{BASE}/requests/{report.pk}.json").content)
    assert row["media_url"] == f"http://testserver/phan-anh/tep/{photo.pk}/"


def test_a_second_delivery_of_the_same_message_stores_nothing_more(
    client, roads, api_key, site, allow_loopback
):
    site.pages["/a.jpg"] = (200, {}, jpeg())
    post(client, api_key, f"http://127.0.0.1:{site.port}/a.jpg")
    message = deliver_fetch()
    outbox.HANDLERS[actions.FETCH_MEDIA](message)  # at-least-once delivery: again
    assert Photo.objects.count() == 1 and site.asked == ["/a.jpg"]


def test_a_file_that_is_not_an_image_is_not_stored_and_the_history_says_why(
    client, roads, api_key, site, allow_loopback
):
    site.pages["/trang.html"] = (200, {"Content-Type": "image/jpeg"}, b"<html>hello</html>")
    url = f"http://127.0.0.1:{site.port}/trang.html"
    report = post(client, api_key, url)
    assert deliver_fetch().state == OutboxMessage.State.DELIVERED  # not fatal
    assert Photo.objects.count() == 0
    event = Event.objects.get(report=report, is_public=False)
    assert event.note == (
        f"Không lấy được ảnh từ media_url {url}: "
        "Tệp không phải ảnh JPEG, PNG hoặc WebP (đã kiểm tra nội dung tệp)."
    )
    assert AuditRecord.objects.filter(action="feedback.report.media_failed").count() == 1
    page = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert "media_url" not in page  # an internal note, never on the public page


def test_a_private_address_is_refused_without_the_allow_list(client, roads, api_key, site):
    site.pages["/a.jpg"] = (200, {}, jpeg())
    url = f"http://127.0.0.1:{site.port}/a.jpg"
    report = post(client, api_key, url)
    deliver_fetch()
    assert site.asked == [] and Photo.objects.count() == 0
    assert Event.objects.get(report=report, is_public=False).note == (
        f"Không lấy được ảnh từ media_url {url}: "
        "Địa chỉ 127.0.0.1 là mạng nội bộ; không tải ảnh từ đó."
    )


def test_a_redirect_to_a_host_off_the_allow_list_is_refused(
    client, roads, api_key, site, allow_loopback
):
    target = f"http://localhost:{site.port}/a.jpg"
    site.pages["/di"] = (302, {"Location": target}, b"")
    site.pages["/a.jpg"] = (200, {}, jpeg())
    report = post(client, api_key, f"http://127.0.0.1:{site.port}/di")
    deliver_fetch()
    assert site.asked == ["/di"] and Photo.objects.count() == 0
    assert Event.objects.get(report=report, is_public=False).note.endswith(
        "Địa chỉ localhost là mạng nội bộ; không tải ảnh từ đó."
    )


def test_redirects_on_the_allow_list_are_followed_up_to_three(
    client, roads, api_key, site, allow_loopback
):
    for hop in range(4):
        site.pages[f"/{hop}"] = (301, {"Location": f"/{hop + 1}"}, b"")
    site.pages["/3"] = (200, {}, jpeg())
    post(client, api_key, f"http://127.0.0.1:{site.port}/0")
    deliver_fetch()
    assert site.asked == ["/0", "/1", "/2", "/3"] and Photo.objects.count() == 1
    Photo.objects.all().delete()
    site.asked.clear()
    site.pages["/3"] = (301, {"Location": "/4"}, b"")
    report = post(client, api_key, f"http://127.0.0.1:{site.port}/0")
    outbox.run_once("w1", limit=50)
    assert Photo.objects.count() == 0
    assert Event.objects.get(report=report, is_public=False).note.endswith(
        "media_url chuyển hướng quá 3 lần."
    )


def test_a_body_larger_than_the_cap_is_refused(
    client, roads, api_key, site, allow_loopback, settings
):
    settings.FEEDBACK_MEDIA_FETCH_MAX_BYTES = 1024 * 1024
    site.pages["/lon.jpg"] = (200, {}, jpeg() + b"\0" * (1024 * 1024))
    report = post(client, api_key, f"http://127.0.0.1:{site.port}/lon.jpg")
    deliver_fetch()
    assert Photo.objects.count() == 0
    assert Event.objects.get(report=report, is_public=False).note.endswith(
        "Ảnh tại media_url lớn quá 1 MB."
    )


def test_a_server_error_is_retried_later_and_records_nothing_yet(
    client, roads, api_key, site, allow_loopback
):
    site.pages["/a.jpg"] = (503, {}, b"busy")
    report = post(client, api_key, f"http://127.0.0.1:{site.port}/a.jpg")
    message = deliver_fetch()
    assert message.state == OutboxMessage.State.PENDING and message.attempts == 1
    assert "media_url answered 503" in message.last_error
    assert not Event.objects.filter(report=report, is_public=False).exists()


@pytest.mark.parametrize(
    ("url", "description"),
    [
        ("ftp://example.com/a.jpg", "media_url phải là địa chỉ http:// hoặc https://."),
        ("javascript:alert(1)", "media_url phải là địa chỉ http:// hoặc https://."),
        ("http://", "media_url phải là địa chỉ http:// hoặc https://."),
        (
            "https://an:mat-khau@example.com/a.jpg",
            "media_url không được chứa tên đăng nhập hoặc mật khẩu.",
        ),
        ("https://example.com/" + "a" * 2000, "media_url dài quá 2000 ký tự."),
        ("http://[abc/x.jpg", "media_url phải là địa chỉ http:// hoặc https://."),
        ("http://example.com:99999/a.jpg", "media_url phải là địa chỉ http:// hoặc https://."),
        ("http://example.com:abc/a.jpg", "media_url phải là địa chỉ http:// hoặc https://."),
    ],
)
def test_a_bad_media_url_is_refused_and_nothing_is_stored(client, roads, api_key, url, description):
    response = client.post(f"{BASE}/requests.json", {**POST, "api_key": api_key, "media_url": url})
    assert response.status_code == 400
    assert json.loads(response.content) == [{"code": 400, "description": description}]
    assert Report.objects.count() == 0 and OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("ff02::1", False),
    ],
)
def test_only_public_addresses_are_fetched(address, public):
    assert media._is_public(address) is public


def test_a_host_that_resolves_to_a_private_address_is_refused(settings, monkeypatch):
    settings.FEEDBACK_MEDIA_FETCH_ALLOW = []
    monkeypatch.setattr(
        media.socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (2, 1, 6, "", ("93.184.216.34", port)),
            (2, 1, 6, "", ("10.0.0.5", port)),
        ],
    )
    with pytest.raises(media.FetchRefused) as caught:
        media.fetch_url("http://anh.example.vn/a.jpg")
    assert str(caught.value) == "Địa chỉ anh.example.vn là mạng nội bộ; không tải ảnh từ đó."


def test_a_vietnamese_file_name_is_fetched(client, roads, api_key, site, allow_loopback):
    name = "/ảnh ô gà.jpg"
    site.pages[quote(name)] = (200, {"Content-Type": "image/jpeg"}, jpeg(gps=(12.6678, 108.0382)))
    post(client, api_key, f"http://127.0.0.1:{site.port}{name}")
    assert deliver_fetch().state == OutboxMessage.State.DELIVERED
    assert site.asked == [quote(name)]
    assert Photo.objects.count() == 1


def test_a_server_that_trickles_is_given_up_on(client, roads, api_key, allow_loopback, settings):
    settings.FEEDBACK_MEDIA_FETCH_TIMEOUT_SECONDS = 1

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(100):  # bytes every 0.2 s: never a 1 s silence
                    self.wfile.write(b"x" * 10_000)
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        report = post(client, api_key, f"http://127.0.0.1:{server.server_address[1]}/a.jpg")
        message = deliver_fetch()
        assert time.monotonic() - started < 10
        assert message.state == OutboxMessage.State.DELIVERED  # handled: not retried
        note = Event.objects.get(report=report, is_public=False).note
        assert "quá lâu" in note
    finally:
        server.shutdown()
        server.server_close()
