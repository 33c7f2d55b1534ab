"""The officials' document pages in headless Chromium: axe-core finds no WCAG 2.1 A/AA or
best-practice violation on "việc của tôi", paper intake (also with its error messages), a new
draft, and a document's page at each step; and a clerk registers an incoming document and
its leader assigns it with the keyboard alone."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.browser import ARGS, CHROMIUM, axe_violations, requires_browser
from tinhso.documents import actions
from tinhso.documents.models import Assignment, Document

from .test_lifecycle import _issue
from .test_views import _sign_in

pytestmark = [
    pytest.mark.slow,
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


def _context(browser, live_server, user):
    client = Client()
    _sign_in(client, user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def _tab_to(page, predicate: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return
    raise AssertionError(f"not reachable with Tab: {predicate}")


def test_office_pages_have_no_axe_violations(live_server, offices, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    sent = _issue(offices)
    stp, sxd = offices["STP"], offices["SXD"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    draft = actions.create_draft(
        sxd.agency,
        doc_type="QD",
        subject="Quyết định thành lập tổ kiểm tra",
        content="Điều 1. Thành lập tổ kiểm tra.",
        signer=sxd.leader,
        signer_position="Giám đốc",
        actor=sxd.specialist,
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _context(browser, live_server, stp.clerk)
        for path in (
            "/van-ban/viec-cua-toi/",
            "/van-ban/tiep-nhan-giay/",
            f"/van-ban/{incoming.pk}/",
        ):
            page.goto(live_server.url + path)
            assert axe_violations(page) == [], path
        # The intake form with its error messages.
        page.goto(f"{live_server.url}/van-ban/tiep-nhan-giay/")
        page.fill("#id_number_and_notation", "không có số")
        page.click("button[type=submit]:has-text('Tiếp nhận')")
        page.wait_for_selector("text=Vui lòng nhập thông tin này.")
        assert axe_violations(page) == []
        # The reject form with its error message (422 page).
        page.goto(f"{live_server.url}/van-ban/{incoming.pk}/")
        page.click("button:has-text('Từ chối tiếp nhận')")
        page.wait_for_selector("text=Chưa thực hiện được")
        assert axe_violations(page) == []

        page = _context(browser, live_server, sxd.specialist)
        for path in ("/van-ban/du-thao/moi/", f"/van-ban/{draft.pk}/"):  # submit, revise
            page.goto(live_server.url + path)
            assert axe_violations(page) == [], path
        assert page.locator("#id_submit-reviewer_1").count() == 1
        assert page.locator("#id_revise-file").count() == 1
        actions.submit_draft(draft, actor=sxd.specialist)

        page = _context(browser, live_server, sxd.leader)
        for path in (f"/van-ban/{draft.pk}/", "/van-ban/viec-cua-toi/"):  # approve, return
            page.goto(live_server.url + path)
            assert axe_violations(page) == [], path
        page.goto(f"{live_server.url}/van-ban/{draft.pk}/")
        assert page.locator("#id_return-comment").count() == 1
        actions.approve_draft(draft, actor=sxd.leader)
        page.goto(f"{live_server.url}/van-ban/{draft.pk}/")  # the signing form
        assert page.locator("#id_sign-pin").count() == 1
        assert axe_violations(page) == []

        page = _context(browser, live_server, sxd.clerk)
        page.goto(f"{live_server.url}/van-ban/{sent.pk}/")  # recipients' statuses, recall
        assert page.locator("text=Đã đến").count() >= 1
        assert axe_violations(page) == []
        browser.close()


def test_register_and_assign_with_the_keyboard_alone(live_server, offices, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _context(browser, live_server, stp.clerk)
        page.goto(f"{live_server.url}/van-ban/viec-cua-toi/")
        _tab_to(
            page,
            "() => document.activeElement.textContent.trim() === "
            "'Về việc kiểm tra công trình xây dựng'",
        )
        with page.expect_navigation():
            page.keyboard.press("Enter")
        _tab_to(page, "() => document.activeElement.textContent.trim() === 'Vào sổ văn bản đến'")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("text=Đã vào sổ văn bản đến, số đến 01.")
        assert axe_violations(page) == []

        page = _context(browser, live_server, stp.leader)
        page.goto(f"{live_server.url}/van-ban/{incoming.pk}/")
        _tab_to(page, "() => document.activeElement.id === 'id_assign-assignee'")
        # The people are in name order: "Cán bộ chuyenvien_stp" comes first.
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "id_assign-instruction"
        page.keyboard.type("Chủ trì xử lý")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "id_assign-days"
        page.keyboard.press("Control+A")
        page.keyboard.type("4")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent.trim()") == "Phân công"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("text=Đã phân công xử lý.")
        assert axe_violations(page) == []
        browser.close()
    item = Assignment.objects.get(document=incoming)
    assert (item.assignee, item.instruction) == (stp.specialist, "Chủ trì xử lý")
    incoming.refresh_from_db()
    assert (incoming.state, incoming.register_number) == ("assigned", 1)
