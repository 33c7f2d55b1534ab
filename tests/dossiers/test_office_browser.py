"""Officials' queue in headless Chromium: axe-core clean, keyboard shortcuts, no page reload."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.browser import axe_violations, requires_browser
from tinhso.dossiers.models import Dossier

from .test_office_views import sign_in

pytestmark = [
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


def official_page(browser, live_server, user):
    client = sign_in(Client(), user)
    context = browser.new_context(locale="vi-VN")
    host = urlsplit(live_server.url).hostname
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    return context, context.new_page()


def test_queue_and_detail_pages_are_axe_clean_and_rows_act_without_reload(
    browser,
    live_server,
    office,
):
    first, second = office.submitted(), office.submitted()
    context, page = official_page(browser, live_server, office.tiepnhan)
    url = live_server.url + reverse("dossiers:office-queue", args=["cho-tiep-nhan"])
    page.goto(url)
    assert axe_violations(page) == []
    page.evaluate("window.__marker = 'same page'")
    page.keyboard.press("j")
    page.keyboard.press("a")  # act on the selected (first) row
    page.wait_for_selector(f'[id="row-{first.code}"] [role=status]')
    assert page.evaluate("window.__marker") == "same page"  # no reload
    assert Dossier.objects.get(pk=first.pk).state == "received"
    assert Dossier.objects.get(pk=second.pk).state == "submitted"
    assert axe_violations(page) == []
    page.goto(live_server.url + reverse("dossiers:office-detail", args=[first.code]))
    assert axe_violations(page) == []
    intake = reverse("dossiers:office-intake", args=[office.version.procedure.code])
    page.goto(live_server.url + intake)
    assert axe_violations(page) == []
    pick = reverse("dossiers:office-intake-pick")
    page.goto(f"{live_server.url}{pick}?q={office.version.procedure.code}")
    assert axe_violations(page) == []
    page.goto(url)
    page.keyboard.press("2")  # the unit's queue
    page.wait_for_url("**/hang-doi/don-vi/")
    context.close()
    context, page = official_page(browser, live_server, office.chuyenvien)
    page.goto(live_server.url + reverse("dossiers:office-detail", args=[first.code]))
    assert axe_violations(page) == []
    page.goto(live_server.url + reverse("dossiers:office-queue", args=["don-vi"]))
    assert axe_violations(page) == []
    context.close()
