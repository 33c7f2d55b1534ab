"""A leader of the province opens the operations centre (issue 16), reads the month at a
glance and the Decision 766 table, and follows the figure of dossiers handled late down to
the list behind it and to one late dossier with its steps. At 360 and 1280 px, in Vietnamese,
as every journey step is checked (axe-core, no sideways scrolling, no CSP report)."""

from __future__ import annotations

import re

LATE = """
from datetime import timedelta
from django.utils import timezone
from tinhso.dossiers.models import Dossier
from tinhso.ioc import rollups
now = timezone.now()
states = ["received", "result_ready", "returned"]
d = Dossier.objects.filter(state__in=states).order_by("pk").first()
Dossier.objects.filter(pk=d.pk).update(
    state="result_ready", received_at=now - timedelta(days=6), clock_start_at=None,
    appointment_at=now - timedelta(days=3), finished_at=now - timedelta(hours=2),
)
rollups.rebuild()
print(d.code)
"""


def test_a_leader_follows_the_late_figure_to_a_late_dossier(journey):
    code = journey.site.tinhso("shell", "-c", LATE).split()[-1]
    leader = journey.person("lanh-dao")
    page = leader.page
    leader.sign_in_official("lanhdao")
    leader.goto("/dieu-hanh/")
    leader.check("trung-tam-dieu-hanh")
    assert page.get_by_role("heading", name=re.compile("Bộ chỉ số 766")).is_visible()
    late = page.locator("#ioc-late")
    assert int(late.locator(".n").inner_text()) >= 1
    late.click()
    page.wait_for_load_state()
    leader.check("ho-so-qua-han")
    assert page.get_by_role("heading", name=re.compile("Hồ sơ giải quyết quá hạn")).is_visible()
    page.get_by_role("link", name=code).click()
    page.wait_for_load_state()
    leader.check("mot-ho-so-qua-han")
    assert page.get_by_role("heading", name=f"Hồ sơ {code}").is_visible()
