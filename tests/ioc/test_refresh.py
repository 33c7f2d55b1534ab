"""The overview's auto-refresh (issue 16): a plain page with a "Làm mới" link that works without
script, a static script the Content-Security-Policy allows, and the figures alone
(`?fragment=1`) with the same sections and figures as the page, for the same viewers only."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from tests import factories
from tests.ioc.test_index_api import viewer
from tinhso.people.models import Role

OVERVIEW = "/dieu-hanh/"
QUERY = {"unit": "000.00.03.H66", "period": "2026-11"}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def sections(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="(ioc-sec-[a-z0-9-]+)"(.*?)</section>', html, re.S))


@pytest.mark.django_db
def test_the_page_works_without_script_and_names_its_fragment(client, world):
    viewer(client, world)
    page = client.get(OVERVIEW, QUERY)
    html = page.content.decode()
    box = html[html.index('<div id="ioc-refresh"') :]
    box = box[: box.index("</div>")]
    assert 'data-refresh="60"' in box
    fragment = re.search(r'data-fragment="([^"]+)"', box).group(1).replace("&amp;", "&")
    assert fragment == "/dieu-hanh/?unit=000.00.03.H66&period=2026-11&fragment=1"
    # without script: a link that reloads the same unit and period; the toggle waits for it
    assert '<a href="?unit=000.00.03.H66&amp;period=2026-11">Làm mới</a>' in box
    assert '<button type="button" hidden>Tạm dừng tự cập nhật</button>' in box
    assert re.search(r'<span id="ioc-updated" role="status">Cập nhật lúc \d\d:\d\d</span>', box)
    # the script is a static file from this origin; the policy allows no other
    assert '<script src="/static/ioc/refresh.js" defer></script>' in html
    assert "<script>" not in html and "onclick" not in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert page["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_the_fragment_is_the_pages_figures_and_nothing_else(client, world):
    viewer(client, world)
    page = client.get(OVERVIEW, QUERY).content.decode()
    response = client.get(OVERVIEW, {**QUERY, "fragment": "1"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    fragment = response.content.decode()
    assert "<html" not in fragment and "<form" not in fragment and "ioc-refresh" not in fragment
    assert re.search(r'<span id="ioc-stamp" data-at="\d\d:\d\d" hidden></span>', fragment)
    assert list(sections(fragment)) == [
        "ioc-sec-today",
        "ioc-sec-month",
        "ioc-sec-map",
        "ioc-sec-sync",
        "ioc-sec-766",
        "ioc-sec-weeks",
        "ioc-sec-months",
    ]
    assert sections(fragment) == sections(page)  # what refresh.js swaps in is what was shown
    assert re.search(r'id="ioc-received"[^>]*><span class="n">7</span>', fragment)


@pytest.mark.django_db
def test_the_fragment_follows_the_same_access_rules(client, world):
    query = {**QUERY, "fragment": "1"}
    assert client.get(OVERVIEW, query).status_code == 302  # to sign in: refresh.js stops there
    factories.sign_in(
        client, factories.official("cv", roles=[(Role.SPECIALIST, world.agencies["STP"])])
    )
    assert client.get(OVERVIEW, query).status_code == 403
    client.logout()
    viewer(client, world, where="SXD", name="sxd")
    assert client.get(OVERVIEW, query).status_code == 404  # another agency's figures
