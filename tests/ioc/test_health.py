"""The national portal sync's health on the IOC overview (issue 16): per agency synced,
waiting and refused dossiers, the lag and the last error in plain words, never green with the
sync off, the administrator's page linked only for the administrator, and the reading shared
(dvcqg's own query, read once a minute whatever the number of viewers)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from tests import factories
from tests.ioc.test_index_api import viewer
from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg.models import SyncState
from tinhso.dvcqg.sync import TOPIC
from tinhso.ioc import health
from tinhso.ioc.queries import resolve_unit
from tinhso.people.models import Role

OVERVIEW = "/dieu-hanh/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def panel(client, **query) -> str:
    page = client.get(OVERVIEW, {"period": "2026-11", **query})
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('id="ioc-sec-sync"') : html.index('id="ioc-sec-766"')]


def synced_fully(agency_code: str) -> None:
    """The portal holds the latest state of every dossier of the agency."""
    for dossier in Dossier.objects.filter(agency__code=agency_code).exclude(state="draft"):
        latest = DossierEvent.objects.filter(dossier=dossier).aggregate(m=Max("pk"))["m"] or 0
        SyncState.objects.update_or_create(
            dossier=dossier, defaults={"sent_version": latest, "created_at_portal": True}
        )


@pytest.mark.django_db
def test_with_the_sync_off_nothing_is_green(client, world, settings):
    settings.DVCQG_URL = ""
    synced_fully("000.00.03.H66")  # even what was sent before: the sync is off now
    viewer(client, world)
    section = panel(client, unit="000.00.03.H66")
    assert "<strong>Chưa bật đồng bộ</strong>" in section
    assert "Đã đồng bộ đủ" not in section and "ioc-sync-ok" not in section
    row = section[section.index('id="ioc-sync-000.00.03.H66"') :]
    assert "Chưa bật đồng bộ</span>" in row[: row.index("</tr>")]
    assert "/quan-tri/" not in section and "Trang quản trị đồng bộ" not in section


@pytest.mark.django_db
def test_per_agency_synced_waiting_refused_lag_and_error(client, world, settings):
    settings.DVCQG_URL = "http://127.0.0.1:9/dvcqg"
    synced_fully("000.00.03.H66")
    stp = Dossier.objects.filter(agency__code="000.00.03.H66").exclude(state="draft")
    # one dossier falls behind: a new state, 3 hours ago, that the portal has not got
    behind = stp.order_by("pk").first()
    event = DossierEvent.objects.create(
        dossier=behind, at=timezone.now() - timedelta(hours=3), state=behind.state
    )
    SyncState.objects.filter(dossier=behind).update(
        sent_version=event.pk - 1,
        last_failure="PortalUnavailable: Không kết nối được Cổng DVC quốc gia: "
        "[Errno 111] Connection refused",
        last_failure_at=timezone.now(),
    )
    # the Department of Construction's dossier (D10): a state never sent
    d10 = Dossier.objects.get(agency=world.agencies["SXD"])
    DossierEvent.objects.create(dossier=d10, at=timezone.now(), state=d10.state)
    viewer(client, world, role=Role.LEADER, where="UBND", name="lanhdao")
    section = panel(client, unit="66")
    row = section[section.index('id="ioc-sync-000.00.03.H66"') :]
    row = row[: row.index("</tr>")]
    total = stp.count()
    assert "Đang chờ gửi</span>" in row
    assert f"{total - 1} / {total} hồ sơ" in row
    assert re.search(r'data-label="Chờ gửi">1</td>', row)
    assert "3 giờ 0 phút" in row or "2 giờ 59 phút" in row
    # plain words: the portal adapter's Vietnamese, not the library's English tail
    assert "Không kết nối được Cổng DVC quốc gia" in row and "Errno" not in row
    sxd = section[section.index(f'id="ioc-sync-{world.agencies["SXD"].code}"') :]
    assert "Đang chờ gửi</span>" in sxd[: sxd.index("</tr>")]
    # a message the portal refused: the agency turns red, first in the list
    OutboxMessage.objects.create(
        topic=TOPIC,
        payload={"dossier": behind.pk},
        state=OutboxMessage.State.PARKED,
        last_error="PortalRejected: Cổng DVC quốc gia từ chối: mã thủ tục không có",
        attempts=5,
    )
    cache.clear()
    section = panel(client, unit="66")
    assert "<strong>Có hồ sơ bị Cổng từ chối</strong>: 1 hồ sơ bị Cổng từ chối" in section
    first = re.search(r'<tr id="ioc-sync-([^"]+)">', section)
    assert first and first.group(1) == "000.00.03.H66"
    assert re.search(r'data-label="Bị Cổng từ chối">1</td>', section)


@pytest.mark.django_db
def test_all_sent_is_green_in_words(client, world, settings):
    settings.DVCQG_URL = "http://127.0.0.1:9/dvcqg"
    synced_fully("000.00.03.H66")
    viewer(client, world)
    section = panel(client, unit="000.00.03.H66")
    assert "<strong>Đã đồng bộ đủ</strong>: Cổng đã có trạng thái mới nhất" in section
    assert 'data-label="Chờ lâu nhất">—</td>' in section


@pytest.mark.django_db
def test_the_administrators_page_is_linked_only_for_the_administrator(client, world, settings):
    settings.DVCQG_URL = "http://127.0.0.1:9/dvcqg"
    viewer(client, world, role=Role.LEADER, where="UBND", name="lanhdao")
    assert "Trang quản trị đồng bộ" not in panel(client, unit="66")
    client.logout()
    admin = factories.official(
        "quantri",
        roles=[
            (Role.IOC_VIEWER, world.agencies["UBND"]),
            (Role.ADMINISTRATOR, world.agencies["UBND"]),
        ],
    )
    admin.is_staff = True  # the administration site's own door (as tests/dvcqg/test_admin.py)
    admin.save(update_fields=["is_staff"])
    factories.sign_in(client, admin)
    section = panel(client, unit="66")
    link = re.search(r'<a href="([^"]+)">Trang quản trị đồng bộ', section)
    assert link
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Tình trạng đồng bộ theo cơ quan" in page.content.decode()


@pytest.mark.django_db
def test_the_reading_is_shared_for_a_minute(world, settings, django_assert_num_queries):
    settings.DVCQG_URL = "http://127.0.0.1:9/dvcqg"
    unit = resolve_unit("66")
    user = factories.official("ioc", roles=[(Role.IOC_VIEWER, world.agencies["UBND"])])
    first = health.unit_health(unit, user)
    assert {a.code for a in first.agencies} == {
        world.agencies["STP"].code,
        world.agencies["SXD"].code,
    }
    with django_assert_num_queries(1):  # the administrator's role only; the sync: cached
        again = health.unit_health(unit, user)
    assert again.agencies == first.agencies
    # a new reading after the cache's minute
    cache.delete(health.CACHE_KEY)
    with django_assert_num_queries(4):  # sync_health: dossiers, states, parked; + the role
        health.unit_health(unit, user)


def test_the_lag_and_errors_in_words():
    assert health.lag_words(0) == ""
    assert health.lag_words(30) == "dưới 1 phút"
    assert health.lag_words(125) == "2 phút"
    assert health.lag_words(3 * 3600 + 120) == "3 giờ 2 phút"
    assert health.lag_words(2 * 86400 + 5) == "2 ngày"
    assert (
        health._plain("Cổng DVC quốc gia trả lỗi HTTP 503") == "Cổng DVC quốc gia trả lỗi HTTP 503"
    )
    assert health._plain("Không kết nối được Cổng: timed out") == "Không kết nối được Cổng"
    assert health._plain("Cổng từ chối: mã thủ tục không có") == "Cổng từ chối: mã thủ tục không có"
    assert len(health._plain("Lỗi " * 100)) == health.ERROR_CHARS


@pytest.mark.django_db
def test_a_citizen_sees_no_sync_panel(client, world):
    citizen = factories.citizen("066190008888", phone="0911000888", email="c8@example.com")
    factories.sign_in(client, citizen)
    assert client.get(OVERVIEW, {"unit": "66"}).status_code == 403
    assert client.get(OVERVIEW, {"unit": "66", "fragment": "1"}).status_code == 403


@pytest.mark.django_db
def test_with_the_sync_off_the_rows_are_the_counters_not_a_walk_over_the_dossiers(
    world, settings, django_assert_num_queries
):
    """With the sync off the panel reads 1.4's own counters (dossiers received, of them
    created on the portal) and the parked messages; dvcqg's query, which walks every
    dossier (seconds at 10M), is not called."""
    from unittest import mock

    settings.DVCQG_URL = ""
    unit = resolve_unit("66")
    user = factories.official("ioc", roles=[(Role.IOC_VIEWER, world.agencies["UBND"])])
    stp = world.agencies["STP"]
    left = Dossier.objects.filter(agency=stp).exclude(state="draft").order_by("pk").first()
    OutboxMessage.objects.create(  # refused by the portal before the sync was turned off
        topic=TOPIC,
        payload={"dossier": left.pk},
        state=OutboxMessage.State.PARKED,
        last_error="PortalRejected: Cổng DVC quốc gia từ chối: mã thủ tục không có",
        attempts=5,
    )
    walk = mock.patch("tinhso.dvcqg.queries.sync_health", side_effect=AssertionError("walk"))
    with walk, django_assert_num_queries(4):  # counters, parked messages, their dossiers, role
        found = health.unit_health(unit, user)
    assert (found.available, found.enabled, found.state) == (True, False, "off")
    rows = {a.code: a for a in found.agencies}
    assert set(rows) == {stp.code, world.agencies["SXD"].code}
    # STP received D1-D7 in November and D9 in October; D1 and D2 were created on the portal
    one = rows[stp.code]
    assert (one.dossiers, one.synced, one.pending, one.parked) == (8, 2, 6, 1)
    assert (one.state, one.lag, one.last_error) == ("off", "", "")
    sxd = rows[world.agencies["SXD"].code]
    assert (sxd.dossiers, sxd.synced, sxd.pending, sxd.parked) == (1, 0, 1, 0)
    assert not cache.get(health.CACHE_KEY)  # nothing to share: the read is the counters'
