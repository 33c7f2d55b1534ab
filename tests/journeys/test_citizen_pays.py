"""Journey 6: a citizen pays a dossier's fee online through the embedded VNPay sandbox, comes
back, sees it paid and downloads the receipt; the receiving officer sees it paid."""

from __future__ import annotations

import json
import re
import time

DEMO_CITIZEN = "0912345678"


def waiting_dossier(site) -> str:
    """A demo dossier still waiting for its online payment (the payments demo leaves two, one
    for each width)."""
    pending = json.loads(site.tinhso("payments", "list", "--state", "pending", "--json"))
    assert pending, "no demo dossier waits for an online payment"
    return sorted(row["dossier_code"] for row in pending)[0]


def test_citizen_pays_through_the_sandbox_and_downloads_the_receipt(journey):
    code = waiting_dossier(journey.site)
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.goto(f"/ho-so-cua-toi/{code}/")
    citizen.check("ho-so-cho-thanh-toan")
    fees = page.locator("#phi-le-phi")
    assert re.search(r"\d{1,3}(\.\d{3})+ đồng", fees.inner_text())
    assert "Thanh toán trực tuyến" in fees.inner_text()

    fees.get_by_role("button", name="Thanh toán trực tuyến").click()
    page.wait_for_url(re.compile(r"/sandbox/vnpay/pay\?"))
    citizen.check("cong-thanh-toan")
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url(re.compile(r"/payments/vnpay/return\?"))
    citizen.check("ket-qua-thanh-toan")
    # the way on: back to the dossier, not only the home page
    assert page.get_by_role("link", name=re.compile(f"Quay lại hồ sơ {code}")).count() == 1
    assert "Đã thanh toán thành công" in page.inner_text("main")

    # The receipt is issued by the worker just after the payment: the page shows it then.
    deadline = time.monotonic() + 60
    while True:
        citizen.goto(f"/ho-so-cua-toi/{code}/")
        fees = page.locator("#phi-le-phi")
        if fees.get_by_role("link", name=re.compile("Tải biên lai")).count():
            break
        assert time.monotonic() < deadline, "no receipt a minute after the payment"
        page.wait_for_timeout(1000)
    citizen.check("ho-so-da-thanh-toan")
    assert "Đã thanh toán" in fees.inner_text()
    assert not fees.get_by_role("button", name="Thanh toán trực tuyến").count()
    with page.expect_download() as got:
        fees.get_by_role("link", name=re.compile("Tải biên lai")).click()
    assert got.value.suggested_filename.startswith("bien-lai-")
    assert got.value.path().read_bytes().startswith(b"%PDF-")

    officer = journey.person("can-bo-tiep-nhan")
    officer.sign_in_official("tiepnhan")
    officer.goto(f"/mot-cua/ho-so/{code}/")
    officer.check("ho-so-da-nop-phi")
    assert "Đã nộp phí, lệ phí" in officer.page.locator("#phi-le-phi").inner_text()
