"""The journey checks themselves: each fails on the defect it is there to catch.

Pages are served by a small local HTTP server so that nothing of the platform is involved:
a clean Vietnamese page passes, and each broken variant fails with its reason.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .harness import Journey, Site, english_words

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005fe02fea7d6a5"
    "b50000000049454e44ae426082"
)

CLEAN = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Trang chủ</title>
</head><body><header><a href="/">Cổng dịch vụ công</a></header><main><h1>Xin chào</h1>
<p>Nộp hồ sơ trực tuyến, tra cứu kết quả.</p><img src="/anh.png" alt="Biểu trưng">
<p lang="en">English</p></main></body></html>"""

BROKEN = {
    "english": (CLEAN.replace("Xin chào", "Please sign in"), "English on a Vietnamese page"),
    "python-none": (CLEAN.replace("Xin chào", "Hạn: None"), "none"),
    "image": (CLEAN.replace("/anh.png", "/khong-co.png"), "broken image"),
    "wide": (
        CLEAN.replace("<h1>", '<div style="width:2000px">rộng</div><h1>'),
        "sideways scrolling",
    ),
    "axe": (CLEAN.replace(' alt="Biểu trưng"', ""), "axe: image-alt"),
    "script": (CLEAN.replace("</body>", "<script>null.x</script></body>"), "script error"),
    "lang": (CLEAN.replace('lang="vi"', 'lang="en"'), "not Vietnamese"),
    "csp": (CLEAN.replace("</body>", "<script>document.title='x'</script></body>"), "the CSP"),
}


class Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.strip("/")
        if name == "anh.png":
            body, kind, status = PNG_1PX, "image/png", 200
        elif name == "" or name in BROKEN:
            body = (CLEAN if name == "" else BROKEN[name][0]).encode()
            kind, status = "text/html; charset=utf-8", 200
        elif name == "loi":
            body, kind, status = CLEAN.encode(), "text/html; charset=utf-8", 500
        else:
            body, kind, status = b"", "text/plain", 404
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if name == "csp":
            self.send_header("Content-Security-Policy", "script-src 'self'")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pages(browser, tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = Site(url=f"http://127.0.0.1:{server.server_address[1]}", var_dir=tmp_path, env={})
    walk = Journey(site=site, browser=browser, width=360, name="harness-self-test", unique="x")
    yield walk
    walk.close()
    walk.reset_screenshots()
    server.shutdown()


def test_a_clean_vietnamese_page_passes(pages):
    person = pages.person("nguoi-xem")
    person.goto("/")
    person.check("sach")


@pytest.mark.parametrize("defect", sorted(BROKEN))
def test_each_defect_fails_the_step(pages, defect):
    person = pages.person("nguoi-xem")
    person.goto("/" + defect)
    with pytest.raises(AssertionError, match=BROKEN[defect][1]):
        person.check(defect)


def test_an_error_page_fails_unless_expected(pages):
    person = pages.person("nguoi-xem")
    person.goto("/loi")
    with pytest.raises(AssertionError, match=r"error page: .*/loi answered 500"):
        person.check("loi")
    person.goto("/loi")
    person.check("loi-mong-doi", status=500)


def test_english_words_leave_unmarked_vietnamese_alone():
    assert english_words("Hồ sơ do cán bộ An tiếp nhận, in biên nhận to và rõ") == []
    assert english_words("Submit the form — Hạn: None") == ["submit", "the", "none"]
