"""The smoke journey: what a first visitor and the demo citizen do in the first minute.

CI also runs it against a server set up from a fresh clone with the optional Debian packages
hidden (`TINHSO_JOURNEY_URL`), so a missing install step fails CI instead of a user.
"""

from __future__ import annotations

import re

PASSWORD = "tinhso-demo-2025"
DEMO_CITIZEN = "0912345678"


def test_first_visit_search_procedure_and_my_dossiers(journey):
    visitor = journey.person("cong-dan")
    page = visitor.page
    visitor.goto("/")
    visitor.check("trang-chu")

    search = page.get_by_role("searchbox").first
    search.fill("dang ky khai sinh")
    search.press("Enter")
    page.wait_for_load_state()
    visitor.check("tim-kiem")
    page.get_by_role("link", name=re.compile("Đăng ký khai sinh", re.IGNORECASE)).first.click()
    page.wait_for_load_state()
    visitor.check("thu-tuc")
    assert page.get_by_role("heading", level=1).inner_text().strip()

    page.get_by_role("link", name=re.compile("Cổng dịch vụ công")).first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name=re.compile("Tra cứu hồ sơ", re.IGNORECASE)).first.click()
    page.wait_for_load_state()
    visitor.check("tra-cuu")

    visitor.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    visitor.check("sau-dang-nhap")
    page.get_by_role("link", name=re.compile("Hồ sơ của tôi", re.IGNORECASE)).first.click()
    page.wait_for_load_state()
    visitor.check("ho-so-cua-toi")
