"""The public pages in headless Chromium: axe-core finds no violation, and a report can be
filed with the keyboard alone, without a map."""

from __future__ import annotations

import pytest

from tests.browser import ARGS, CHROMIUM, axe_violations, requires_browser
from tinhso.feedback import actions
from tinhso.feedback.models import Report

pytestmark = [
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


@pytest.fixture
def reports(new_report, lights, clean):
    first = actions.submit_report(new_report(photos=(clean,)))
    actions.resolve_report(first, answer="Đã vá ổ gà.", actor=None, evidence=[clean])
    second = actions.submit_report(new_report(description="Vỉa hè vỡ."))
    return first, second


def test_every_public_page_has_no_axe_violation(page, live_server, reports):
    first, _ = reports
    for path in (
        "/phan-anh/",
        "/phan-anh/?category=giao-thong&state=resolved",
        "/phan-anh/ban-do/",
        f"/phan-anh/{first.pk}/",
        "/phan-anh/gui/",
    ):
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path


def test_the_form_with_errors_has_no_axe_violation(page, live_server, roads):
    page.goto(live_server.url + "/phan-anh/gui/")
    page.fill("#id_description", "Ổ gà.")
    with page.expect_navigation():
        page.click("#gui-phan-anh")
    page.wait_for_load_state()
    assert page.locator("[role=alert]").all_inner_texts() == [
        "Cần vị trí: chọn trên bản đồ, nhập địa chỉ, hoặc chọn xã, phường và mô tả nơi xảy ra."
    ]
    assert axe_violations(page) == []


def test_a_report_filed_with_the_keyboard_alone(page, live_server, lights, communes):
    page.goto(live_server.url + "/phan-anh/gui/")
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#id_category")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")  # back to the first category: street lights
    assert page.input_value("#id_category") == str(lights.pk)
    page.keyboard.press("Tab")
    page.keyboard.type("Ba cột đèn không sáng.")
    page.focus("#id_commune")
    page.keyboard.type("ea k")  # the search list, without diacritics
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks the highlighted commune, does not submit
    assert page.input_value("#id_commune") == "Xã Ea Kao"
    assert page.url.endswith("/phan-anh/gui/")
    page.keyboard.press("Tab")
    page.keyboard.type("Gần trường tiểu học")
    page.focus("#id_consents_to_publish")
    page.keyboard.press("Space")
    page.keyboard.press("Space")  # off and on again: the box answers the keyboard
    assert page.is_checked("#id_consents_to_publish")
    page.focus("#id_address")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form from a text field
    page.wait_for_load_state()
    report = Report.objects.get()
    assert (report.category.code, report.description) == ("chieu-sang", "Ba cột đèn không sáng.")
    assert report.address == "Gần trường tiểu học" and report.commune == communes["ea-kao"]
    assert page.url.endswith(f"/phan-anh/{report.pk}/")
