"""The provincial IT administrator looks after the sync with the national public-service
portal (issue 15): the page in the admin shows the sync's health per agency and the
messages the portal refused, with its reason; after fixing the cause the administrator
sends one again. At 360 and 1280 px, in Vietnamese, as every journey step is checked."""

from __future__ import annotations

import re

ADMIN = "quantri"
REASON = "Mã thủ tục 9.999999 không tồn tại trên CSDL quốc gia về TTHC"

PARK = f"""
from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier
from tinhso.dvcqg.sync import TOPIC
d = Dossier.objects.exclude(state="draft").order_by("pk").first()
m = OutboxMessage.objects.create(
    topic=TOPIC, payload={{"dossier": d.pk, "version": 0}}, state="parked", attempts=1,
    last_error="PortalRejected: Cổng DVC quốc gia từ chối hồ sơ " + d.code
    + ": {REASON} (mã 2)",
)
print("PARKED", m.pk, d.code)
"""


def test_administrator_resends_a_message_the_portal_refused(journey):
    admin = journey.person("quan-tri")
    page = admin.page
    admin.sign_in_official(ADMIN)
    # from wherever the sign-in lands, by clicking: the header's link, then the admin's index
    page.get_by_role("link", name="Quản trị hệ thống").first.click()
    page.wait_for_load_state()
    admin.check("trang-quan-tri")
    index = page.locator("#content-main").inner_text()
    assert "Hàng đợi gửi đi" in index and "outbox" not in index.lower()
    sync_link = page.get_by_role("link", name=re.compile("Đồng bộ hồ sơ với Cổng DVC quốc gia"))
    sync_link.first.click()
    page.wait_for_load_state()
    admin.check("dong-bo-tat")
    # the demo has no portal address: said in words, and no agency looks green
    note = page.locator("#dong-bo-tat").inner_text()
    assert note.startswith("Chưa kết nối với Cổng Dịch vụ công quốc gia: đồng bộ đang tắt.")
    assert page.locator(".dvcqg-state-tot").count() == 0
    states = set(page.locator(".dvcqg-state").all_inner_texts())
    assert "Chưa đồng bộ" in states and states <= {"Chưa đồng bộ", "Có hồ sơ bị Cổng từ chối"}
    # the site is shared by the two widths: the first run finds nothing refused yet
    if "Có hồ sơ bị Cổng từ chối" not in states:
        refused = page.locator("#khong-tin-bi-dung").inner_text()
        assert refused == "Không có hồ sơ nào bị Cổng từ chối."
    # the portal refuses one: it is listed with the reason and a button to send it again
    output = journey.site.tinhso("shell", "-c", PARK)
    [line] = [line for line in output.splitlines() if line.startswith("PARKED ")]
    _, message_id, code = line.split()
    page.reload()
    page.wait_for_load_state()
    admin.check("dong-bo-dvcqg")
    assert page.get_by_role("heading", name="Tình trạng đồng bộ theo cơ quan").is_visible()
    assert page.locator(".dvcqg-state-loi").first.inner_text() == "Có hồ sơ bị Cổng từ chối"
    row = page.locator(f"#tin-{message_id}")
    assert code in row.inner_text() and REASON in row.inner_text()
    row.get_by_role("button", name=re.compile("Gửi lại")).click()
    page.wait_for_load_state()
    admin.check("da-gui-lai")
    assert f"Đã đưa tin #{message_id} vào hàng đợi" in page.locator(".messagelist").inner_text()
