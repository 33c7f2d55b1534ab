"""Verifying an electronic result: the demo citizen downloads the electronic result of their
returned dossier from "Kho dữ liệu của tôi"; a visitor (no account) opens the address printed
on it, /xac-thuc/<code>, sees the document's facts and its SHA-256, uploads the PDF and is
told it is the document, unaltered, with a valid signature; a copy changed by one character is
not confirmed. Only clicks and typing; the address is the downloaded PDF's QR code, scanned
(the page rendered by pdftoppm, read by zbarimg) as a phone would."""

from __future__ import annotations

import hashlib
import re
import subprocess

from tests.tools import requires_tool

DEMO_CITIZEN = "0912345678"


@requires_tool("pdftoppm", "zbarimg")
def test_a_visitor_verifies_a_returned_electronic_result(journey, tmp_path):
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.goto("/kho-du-lieu/")
    citizen.check("kho-du-lieu")
    # the demo's sealed result: earlier journeys on the same site may have returned newer,
    # unsealed results to the demo citizen (agencies without a seal), listed first
    row = (
        page.get_by_role("row")
        .filter(has_text="Kết quả giải quyết hồ sơ")
        .filter(has_text="Có chữ ký số của cơ quan, đã kiểm tra")
        .first
    )
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/\d+/$"))
    citizen.check("ket-qua")
    with page.expect_download() as got:
        page.get_by_role("link", name=re.compile("^Tải tệp về")).click()
    signed = got.value.path().read_bytes()
    assert signed.startswith(b"%PDF-")
    scan = tmp_path / "ket-qua.pdf"
    scan.write_bytes(signed)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(scan), str(tmp_path / "trang")],
        check=True,
        timeout=120,
    )
    read = subprocess.run(
        ["zbarimg", "--quiet", "--raw", *map(str, sorted(tmp_path.glob("trang*.png")))],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    address = next(u for u in read if "/xac-thuc/" in u)
    assert re.fullmatch(re.escape(journey.site.url) + r"/xac-thuc/[A-Z2-9]{16}", address)

    visitor = journey.person("nguoi-kiem-tra")
    vpage = visitor.page
    visitor.goto(address)
    visitor.check("xac-thuc")
    main = vpage.inner_text("main")
    assert "Xác thực kết quả điện tử" in main
    assert hashlib.sha256(signed).hexdigest() in main
    assert re.search(r"Chữ ký số của cơ quan cấp\s+Hợp lệ", main)
    for fact in ("Loại giấy tờ", "Số hồ sơ", "Cơ quan cấp", "Ngày cấp"):
        assert fact in main
    assert "Nguyễn Văn An" not in main  # the demo citizen's name is not on the public page

    vpage.get_by_label("Tệp PDF cần kiểm tra").set_input_files(str(scan))
    vpage.get_by_role("button", name="Kiểm tra tệp").click()
    vpage.wait_for_load_state()
    visitor.check("ban-goc")
    verdict = vpage.locator("#ket-luan").inner_text()
    assert "Đã xác nhận" in verdict and "chữ ký số hợp lệ" in verdict

    # one byte of the first page's content changed, the size kept
    at = signed.index(b"stream\n") + 10
    tampered_bytes = signed[:at] + bytes([signed[at] ^ 1]) + signed[at + 1 :]
    tampered = tmp_path / "ket-qua-da-sua.pdf"
    tampered.write_bytes(tampered_bytes)
    vpage.get_by_label("Tệp PDF cần kiểm tra").set_input_files(str(tampered))
    vpage.get_by_role("button", name="Kiểm tra tệp").click()
    vpage.wait_for_load_state()
    visitor.check("ban-da-sua")
    verdict = vpage.locator("#ket-luan").inner_text()
    assert "Không xác nhận" in verdict and "Đã xác nhận" not in verdict

    vpage.goto(journey.site.url + "/xac-thuc/")
    visitor.check("nhap-ma")
    vpage.get_by_label("Mã xác thực").fill("ABCD-EFGH-JKMN-PQRS")
    vpage.get_by_role("button", name="Xác thực").click()
    vpage.wait_for_load_state()
    visitor.check("ma-sai", status=404)
    assert "Không tìm thấy kết quả điện tử" in vpage.inner_text("main")
