"""The catalogue's citizen pages in headless Chromium at 360 px: axe-core finds nothing, the
assets stay under 300 KB, and search works with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.browser import axe_violations, requires_browser
from tinhso.catalogue import demo

BUDGET = 300 * 1024

pytestmark = [
    pytest.mark.slow,
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def catalogue(db):
    # Requested before `browser` in the tests: ORM work done while Playwright's event loop
    # runs in this thread would open a connection pytest-django never closes.
    demo.load_demo(with_places=False)


def test_catalogue_pages_pass_axe_and_the_budget_at_360px(catalogue, browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    sizes: dict[str, int] = {}

    def count(response):
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # redirects have no body
            sizes[response.url] = 0

    page.on("response", count)
    for path in (
        "/thu-tuc/",
        "/thu-tuc/?q=khai+sinh",
        "/thu-tuc/?q=zzzz",
        "/thu-tuc/?field=G15-TP07&level=commune&online_type=mot_phan&page=2",
        "/thu-tuc/1.001193/",
        "/thu-tuc/1.013225/",
        "/thu-tuc/2.000635/",
    ):
        sizes.clear()
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], path
        assert sum(sizes.values()) < BUDGET, (path, sizes)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
    context.close()


def test_search_with_the_keyboard_only(catalogue, browser, live_server):
    page = browser.new_page(viewport={"width": 360, "height": 780})
    page.goto(live_server.url + "/thu-tuc/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "cat-q":
            break
    else:
        raise AssertionError("the search box cannot be reached with Tab")
    page.keyboard.type("ĐĂNG KÝ KHAI SINH")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.cat-results') !== null"):
            break
    else:
        raise AssertionError("no result reachable with Tab")
    assert page.evaluate("document.activeElement.textContent") == "Đăng ký khai sinh"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Đăng ký khai sinh"
