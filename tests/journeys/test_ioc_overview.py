"""A leader of the province opens the operations centre (issue 16), finds the field reports
on the map by commune, follows a commune to its reports, reads the national portal sync's
health, and watches the figures refresh themselves (and pause) without losing their place.
At 360 and 1280 px, in Vietnamese, every step checked (axe-core, no sideways scrolling, no
CSP report).

The browser's clock is Playwright's (`page.clock`): the minute between two refreshes passes
at once, the fetches are real requests to the live server."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

# A report of our own in the province's last commune (no other journey files reports there),
# kept open; prints the commune's code and name. Rollups rebuilt: exact whatever the outbox.
FILE_REPORT = """
from tinhso.feedback import actions
from tinhso.feedback.models import Category
from tinhso.ioc import rollups
from tinhso.places.models import Commune
from tinhso.places.queries import home_province
commune = Commune.objects.filter(province=home_province()).order_by("-code").first()
actions.submit_report(actions.NewReport(
    category=Category.objects.get(code="trat-tu"),
    description="Lấn chiếm vỉa hè (hành trình IOC %s).",
    commune=commune, address="Trung tâm xã", is_anonymous=True,
))
rollups.rebuild_reports()
print(commune.code, "|", commune)
"""


def test_a_leader_finds_a_communes_field_reports_and_the_sync_health(journey):
    site = journey.site
    code, name = (
        site.tinhso("shell", "-c", FILE_REPORT % journey.unique)
        .strip()
        .splitlines()[-1]
        .split(" | ")
    )
    leader = journey.person("lanh-dao")
    page = leader.page
    page.clock.install()  # timers run as usual until the test moves the clock on
    leader.sign_in_official("lanhdao")
    leader.goto("/dieu-hanh/")
    leader.check("trung-tam-dieu-hanh")

    # the map: a tile per commune with reports, ours among them, the table behind it
    assert page.get_by_role("heading", name="Phản ánh hiện trường theo xã, phường").is_visible()
    tile = page.get_by_role("link", name=re.compile(rf"^{re.escape(name)} \d+ đang xử lý"))
    expect(tile).to_be_visible()
    before = int(tile.locator(".n").inner_text())
    assert before >= 1
    page.get_by_text("Xem bảng số liệu của bản đồ").click()
    table_row = page.get_by_role("row", name=re.compile(re.escape(name)))
    expect(table_row).to_be_visible()
    leader.check("bang-so-lieu-ban-do")

    # the sync with the national portal, in words; with no portal configured, not green
    sync = page.locator("#ioc-sec-sync")
    expect(
        sync.get_by_role("heading", name="Đồng bộ với Cổng Dịch vụ công quốc gia")
    ).to_be_visible()
    if not os.environ.get("TINHSO_DVCQG_URL"):
        expect(sync.get_by_text("Chưa bật đồng bộ", exact=True).first).to_be_visible()
        assert sync.locator(".ioc-sync-ok").count() == 0

    # refreshing: nothing is fetched before the minute is up; then the figures are fetched
    # and, if some changed (the sync's wait grows by the minute), the status line says when;
    # otherwise the check is written beside it, unannounced. The focus and the table stay.
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "fragment=1" in r.url else None)
    updated = page.locator("#ioc-updated")
    checked = page.locator("#ioc-checked")
    announced = updated.inner_text()
    pause = page.get_by_role("button", name="Tạm dừng tự cập nhật")
    pause.focus()
    page.clock.fast_forward("00:50")
    page.wait_for_timeout(300)
    assert fetched == []
    page.clock.fast_forward("00:15")
    for _ in range(100):  # the driver polls: in-page timers are the fake clock's
        if checked.inner_text() or updated.inner_text() != announced:
            break
        page.wait_for_timeout(300)
    assert len(fetched) == 1
    if updated.inner_text() == announced:
        expect(checked).to_contain_text("không có thay đổi")
    assert page.evaluate("document.activeElement.textContent") == "Tạm dừng tự cập nhật"
    expect(table_row).to_be_visible()

    # a new report in our commune: the next refresh shows it, announced
    site.tinhso("shell", "-c", FILE_REPORT % (journey.unique + "-2"))
    page.clock.fast_forward("01:05")
    expect(tile.locator(".n")).to_have_text(str(before + 1))
    expect(updated).to_have_text(re.compile(r"^Cập nhật lúc \d\d:\d\d$"))
    expect(checked).to_have_text("")
    assert page.evaluate("document.activeElement.textContent") == "Tạm dừng tự cập nhật"
    expect(table_row).to_be_visible()

    # a hidden tab fetches nothing; back in view it catches up at once
    show = """state => {
        Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(show, "hidden")
    site.tinhso("shell", "-c", FILE_REPORT % (journey.unique + "-3"))
    count = len(fetched)
    page.clock.fast_forward("03:00")
    page.wait_for_timeout(300)
    assert len(fetched) == count
    expect(tile.locator(".n")).to_have_text(str(before + 1))
    page.evaluate(show, "visible")
    expect(tile.locator(".n")).to_have_text(str(before + 2))

    # paused by the viewer: the button says how to resume, and nothing more is fetched
    pause.click()
    expect(page.get_by_role("button", name="Tiếp tục tự cập nhật")).to_be_visible()
    count = len(fetched)
    page.clock.fast_forward("03:00")
    page.wait_for_timeout(300)
    assert len(fetched) == count
    leader.check("tam-dung-tu-cap-nhat")

    # a commune's tile leads to its reports
    tile.click()
    page.wait_for_load_state()
    leader.check("phan-anh-cua-xa")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    assert page.locator("tbody tr").filter(has_text="Trật tự công cộng").count() == before + 2
    assert code  # the tile's link carries the commune's code
    assert f"commune={code}" in page.url
