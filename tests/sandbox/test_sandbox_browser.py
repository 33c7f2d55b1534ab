"""The sandbox's pay page in headless Chromium at phone width: accessible, nothing sideways,
no CSP violation, and a tester can pay through it."""

from __future__ import annotations

import pytest

from tests.browser import ARGS, CHROMIUM, axe_violations, requires_browser
from tests.sandbox.test_vnpay_sandbox import IPNRecorder, pay_request, query_string


@requires_browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_a_tester_pays_through_the_pay_page(live_server, settings, width):
    from playwright.sync_api import sync_playwright

    ipn = IPNRecorder()
    settings.SITE_URL = ipn.url
    return_url = live_server.url + "/payments/vnpay/return"
    fields = pay_request(ref=f"TS-B{width}", vnp_ReturnUrl=return_url)
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": width, "height": 740})
            page.on(
                "console",
                lambda m: (
                    problems.append(page.url + " " + m.text)
                    if "Content Security Policy" in m.text
                    else None
                ),
            )
            page.goto(f"{live_server.url}/sandbox/vnpay/pay?{query_string(fields)}")
            assert page.locator("h1").inner_text() == "Thanh toán trực tuyến"
            assert "150.000 đ" in page.locator(".sandbox-amount").inner_text()
            assert axe_violations(page) == []
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert problems == []  # the return page after it is the ledger's
            page.get_by_role("button", name="Thanh toán").click()
            page.wait_for_url(return_url + "?**")
            assert "vnp_ResponseCode=00" in page.url
            browser.close()
    finally:
        ipn.close()
    assert [call["vnp_ResponseCode"] for call in ipn.calls] == ["00"]
