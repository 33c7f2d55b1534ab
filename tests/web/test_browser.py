"""The home page in headless Chromium: axe-core finds nothing, at phone width, in both modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import ARGS, AXE, CHROMIUM, axe_violations


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("browser tests need /usr/bin/chromium and node_modules/axe-core (make install)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["", "?tuong-phan=cao", "?co-chu=lon"])
def test_home_page_has_no_accessibility_violations(browser, live_server, mode):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    if mode:
        page.goto(f"{live_server.url}/hien-thi/{mode}&next=/")
    else:
        page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Cổng dịch vụ công Đắk Lắk"
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert axe_violations(page) == []
    # Nothing overflows sideways at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_english_browser_still_gets_vietnamese_until_english_is_chosen(browser, live_server):
    page = browser.new_page(locale="en-US")
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Cổng dịch vụ công Đắk Lắk"
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Đắk Lắk Public Services Portal"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert axe_violations(page) == []
    page.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_keyboard_reaches_the_search_box_first_after_the_skip_link(browser, live_server):
    page = browser.new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Chuyển đến nội dung chính"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "tim-thu-tuc"
    page.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["", "?tuong-phan=cao"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_404_page_is_the_sites_page_and_accessible(browser, live_server, mode, width):
    page = browser.new_page(viewport={"width": width, "height": 740})
    if mode:
        page.goto(f"{live_server.url}/hien-thi/{mode}&next=/")
    response = page.goto(live_server.url + "/khong-co-trang-nay/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Không tìm thấy trang"
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("link", name="Về trang chủ").click()
    assert page.locator("h1").inner_text() == "Cổng dịch vụ công Đắk Lắk"
    page.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_form_posts_from_a_fresh_browser(browser, live_server):
    """The referrer policy keeps the Origin header on same-site posts, so the CSRF check
    passes in a real browser (with `no-referrer` Chromium sends `Origin: null`)."""
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(live_server.url + "/")
    assert response.headers["referrer-policy"] == "same-origin"
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.get_by_role("button", name="English").click()
    assert posted.value.headers["origin"] == live_server.url
    assert page.locator("h1").inner_text() == "Đắk Lắk Public Services Portal"
    context.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_stale_form_gets_the_vietnamese_page_in_a_browser(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/")
    context.clear_cookies()  # as when the cookie was lost or blocked
    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Trang đã cũ, thông tin chưa được gửi"
    assert axe_violations(page) == []
    page.get_by_role("link", name="Mở lại trang vừa gửi").click()
    assert page.locator("h1").inner_text() == "Cổng dịch vụ công Đắk Lắk"
    context.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "fields"), [(1024, (14, 16, 20)), (360, (16, 16, 20))])
def test_form_controls_take_the_pages_text_size(browser, live_server, width, fields):
    """Inputs, selects and buttons are the page's text (14, 16, 20 px with A-, A, A+), not the
    browser's 13.3 px; on a phone a box is never under 16 px, below which iOS zooms in when
    it is tapped (buttons do not zoom: they stay the page's text)."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    # The sign-in form's own rules inherit the font; the public statistics' period select
    # had no font rule (13.3 px, the IOC pages' "Đơn vị" and "Kỳ" alike).
    for path in ("/dang-nhap/", "/cong-khai/thong-ke/"):
        for size, text, field in zip(("nho", "vua", "lon"), (14, 16, 20), fields, strict=True):
            page.goto(f"{live_server.url}/hien-thi/?co-chu={size}&next={path}")
            controls = page.evaluate(
                "[...document.querySelectorAll('main select, main button,"
                " main input:not([type=hidden])')]"
                ".map(e => [e.tagName, parseFloat(getComputedStyle(e).fontSize)])"
            )
            assert any(tag == "SELECT" or tag == "INPUT" for tag, _ in controls), path
            expected = [[tag, text if tag == "BUTTON" else field] for tag, _ in controls]
            assert controls == expected, (path, width, size)
    page.close()
