"""The demo citizen takes a paper from the national data store into their own store: from
"Kho dữ liệu của tôi" to "Lấy giấy tờ từ Kho dữ liệu quốc gia", which lists what the national
store holds for their personal identification number (here the sandbox's stand-in,
sandbox/national_store.py, which the embedded site asks when no national store is
configured), then "Lấy vào kho", and the paper is in their store with its provenance.

The stand-in's holdings are fixed, so each width takes a paper of its own (360 px the land
use right certificate, 1280 px the marriage certificate): both walks share one served site.
The birth certificate 123/1990 is never offered: the demo store holds it already, digitised at
the counter, and "already held" is judged by the document's kind and number."""

from __future__ import annotations

import os
import re

import pytest

DEMO_CITIZEN = "0912345678"
PAPERS = {
    360: ("Giấy chứng nhận quyền sử dụng đất", "CS04521"),
    1280: ("Giấy chứng nhận kết hôn", "45/2016"),
}


def test_citizen_takes_a_paper_from_the_national_store(journey):
    if os.environ.get("TINHSO_DATASTORE_NATIONAL_URL") or os.environ.get("TINHSO_DVCQG_URL"):
        pytest.skip("a national store is configured: the demo's stand-in is not served")
    kind, number = PAPERS[journey.width]
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)

    page.get_by_role("link", name="Nguyễn Văn An").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Kho dữ liệu của tôi").first.click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/$"))
    citizen.check("kho-du-lieu")
    # the demo store may hold the same paper digitised at the counter: only the provenance
    # tells the national store's copy apart
    national_rows = page.get_by_role("row").filter(has_text=number)
    assert national_rows.filter(has_text="Lấy từ kho dữ liệu quốc gia").count() == 0

    page.get_by_role("link", name="Lấy giấy tờ từ Kho dữ liệu quốc gia").click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/kho-quoc-gia/$"))
    citizen.check("kho-quoc-gia")
    main = page.inner_text("main")
    assert "066090001234" in main  # asked by the citizen's own number
    # the counter's copy of the birth certificate counts: it is not offered again
    birth = page.get_by_role("row").filter(has_text="123/1990")
    assert "Đã có trong kho" in birth.inner_text() and birth.get_by_role("button").count() == 0
    row = page.get_by_role("row").filter(has_text=number)
    assert kind in row.inner_text()
    row.get_by_role("button", name=re.compile("^Lấy vào kho")).click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/\d+/$"))
    citizen.check("da-lay-ve")
    main = page.inner_text("main")
    assert "Đã lấy giấy tờ từ Kho dữ liệu quốc gia vào kho của Ông/Bà." in main
    assert kind in main and number in main and "Lấy từ kho dữ liệu quốc gia" in main

    page.get_by_role("link", name="Kho dữ liệu của tôi").first.click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/$"))
    citizen.check("kho-co-giay-to-quoc-gia")
    taken = national_rows.filter(has_text="Lấy từ kho dữ liệu quốc gia")
    assert taken.count() == 1 and kind in taken.inner_text()

    # taken once: the national page now shows it as already in the store
    page.get_by_role("link", name="Lấy giấy tờ từ Kho dữ liệu quốc gia").click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/kho-quoc-gia/$"))
    citizen.check("da-co-trong-kho")
    row = page.get_by_role("row").filter(has_text=number)
    assert "Đã có trong kho" in row.inner_text()
    assert row.get_by_role("button").count() == 0
