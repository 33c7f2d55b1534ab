"""The officials' field-report pages in headless Chromium: axe-core finds no violation on the
queue, a report's page (with its action forms, and with a refused form) and a closed report;
a report is handled with the keyboard alone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.browser import axe_violations, requires_browser
from tinhso.feedback import actions
from tinhso.feedback.models import Report
from tinhso.people.models import Role

from .test_office_views import sign_in

pytestmark = [
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


def official_page(browser, live_server, user):
    """A browser page signed in as `user` (with the second factor) through the session."""
    client = sign_in(Client(), user)
    context = browser.new_context(locale="vi-VN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": urlsplit(live_server.url).hostname,
                "path": "/",
            }
        ]
    )
    return context, context.new_page()


def test_office_pages_have_no_axe_violation(
    browser, live_server, new_report, clean, make_official, agencies
):
    specialist = make_official("bmt", roles=((Role.SPECIALIST, agencies["BMT"]),))
    open_report = actions.submit_report(new_report(photos=(clean,)))
    actions.submit_report(new_report(description="Ổ gà thứ hai, cùng chỗ."))
    closed = actions.submit_report(new_report(description="Đã xong."))
    actions.resolve_report(closed, answer="Đã vá.", actor=None, evidence=[clean])
    context, page = official_page(browser, live_server, specialist)
    queue = live_server.url + reverse("feedback:office-queue")
    for url in (
        queue,
        queue + "?state=received&deadline=qua-han",
        queue + "?state=bay-bong",  # a refused filter, with its message
        live_server.url + reverse("feedback:office-detail", args=[open_report.pk]),
        live_server.url + reverse("feedback:office-detail", args=[closed.pk]),
    ):
        page.goto(url)
        assert axe_violations(page) == [], url
    # a refused form: the page again with the message at the field
    page.goto(live_server.url + reverse("feedback:office-detail", args=[open_report.pk]))
    page.fill("#id_reject-reason", "   ")  # passes the browser's check, not the server's
    with page.expect_navigation():
        page.click("#id_reject-reason ~ button, form[action$='/reject/'] button")
    assert page.locator("[role=alert]").all_inner_texts() == ["Cần nêu lý do từ chối."]
    assert axe_violations(page) == []
    context.close()


def test_a_report_handled_with_the_keyboard_alone(
    browser, live_server, submitted, make_official, agencies
):
    specialist = make_official("bmt", roles=((Role.SPECIALIST, agencies["BMT"]),))
    context, page = official_page(browser, live_server, specialist)
    page.goto(live_server.url + reverse("feedback:office-queue"))
    page.focus(f"text=PA-{submitted.pk}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("feedback:office-detail", args=[submitted.pk]))
    page.focus("#id_start-note")
    page.keyboard.type("Tổ công tác đã đến hiện trường.")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form from its text field
    assert "Đã chuyển phản ánh PA-" in page.locator("[role=status]").inner_text()
    page.focus("#id_resolve-answer")
    page.keyboard.type("Đã vá ổ gà.")
    page.keyboard.press("Tab")  # the evidence photos (none)
    page.keyboard.press("Tab")  # the button
    with page.expect_navigation():
        page.keyboard.press("Enter")
    report = Report.objects.get(pk=submitted.pk)
    assert (report.state, report.answer) == ("resolved", "Đã vá ổ gà.")
    assert report.public_note == "Đã vá ổ gà."
    context.close()
