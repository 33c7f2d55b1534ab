"""The national portal sync's health on the operations centre's overview (tình trạng đồng bộ
với Cổng Dịch vụ công quốc gia): per agency of the unit, dossiers the portal holds in their
latest state, those waiting, those the portal refused (parked), the lag of the oldest change
not yet sent and the last error, in plain words.

Legal source: Decree 42/2022/NĐ-CP art. 11 (provincial one-stop systems sync their dossiers
to the national portal) and Decision 766/QĐ-TTg indicator 1.4 (share of dossiers synced), as
in `tinhso.dvcqg`.

The figures are `dvcqg.queries.sync_health`, the administrator's sync page's own (one reading
of the sync, not two that could disagree). That query walks every dossier and is meant for an
administrator's occasional look; the overview is read by every leader every minute, so its
answer (counts, agency names and the portal's reasons: nothing personal) is shared through
the cache for `CACHE_SECONDS`. Whether the sync is on is read each time (`TINHSO_DVCQG_URL`):
with the sync off nothing is ever "green", and nothing walks the dossiers: with nothing being
sent there is no lag and no current error to find, so each agency's row is indicator 1.4's
own figures from the month counters (dossiers received, of them created on the portal) and
the parked messages left from before (`_off_rows`: a read of the counters, a few hundred rows
a month for a province, and one of the parked messages; none grows with the dossiers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tinhso.ioc.queries import Unit

CACHE_KEY = "ioc:sync-health"
CACHE_SECONDS = 60
ERROR_CHARS = 160
VIETNAMESE = re.compile(
    "[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE
)


@dataclass(frozen=True)
class AgencySync:
    code: str
    name: str
    dossiers: int
    synced: int  # the portal holds the latest state
    pending: int  # the portal holds an older state, or none
    parked: int  # messages the portal refused, waiting for an administrator
    lag: str  # the oldest change not yet sent, in words ("" when none)
    last_error: str
    last_error_at: datetime | None
    state: str  # off | refused | waiting | ok (a CSS class suffix)
    state_label: str


@dataclass(frozen=True)
class SyncHealth:
    available: bool  # the dvcqg app is installed
    enabled: bool  # TINHSO_DVCQG_URL is set
    agencies: list[AgencySync]
    checked_at: datetime | None  # when the shared reading was taken
    admin_url: str  # the administrator's sync page, for those who may open it; else ""

    @property
    def summary(self) -> str:
        if not self.available or not self.enabled:
            return _("Chưa bật đồng bộ với Cổng Dịch vụ công quốc gia.")
        parked = sum(a.parked for a in self.agencies)
        pending = sum(a.pending for a in self.agencies)
        if parked:
            return ngettext(
                "%(n)d hồ sơ bị Cổng từ chối, cần quản trị viên xử lý.",
                "%(n)d hồ sơ bị Cổng từ chối, cần quản trị viên xử lý.",
                parked,
            ) % {"n": parked}
        if pending:
            return ngettext(
                "%(n)d hồ sơ đang chờ gửi lên Cổng.",
                "%(n)d hồ sơ đang chờ gửi lên Cổng.",
                pending,
            ) % {"n": pending}
        if not self.agencies:
            return _("Chưa có hồ sơ nào để đồng bộ.")
        return _("Cổng đã có trạng thái mới nhất của mọi hồ sơ.")

    @property
    def state(self) -> str:
        if not self.available or not self.enabled:
            return "off"
        if any(a.parked for a in self.agencies):
            return "refused"
        if any(a.pending for a in self.agencies):
            return "waiting"
        return "ok"


def lag_words(seconds: int) -> str:
    """How long the oldest unsent change has waited, as a person says it."""
    if seconds <= 0:
        return ""
    if seconds < 60:
        return _("dưới 1 phút")
    if seconds < 3600:
        return _("%(m)d phút") % {"m": seconds // 60}
    if seconds < 86400:
        return _("%(h)d giờ %(m)d phút") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    return _("%(d)d ngày") % {"d": seconds // 86400}


def _state(enabled: bool, parked: int, pending: int) -> tuple[str, str]:
    if not enabled:
        return "off", _("Chưa bật đồng bộ")
    if parked:
        return "refused", _("Có hồ sơ bị Cổng từ chối")
    if pending:
        return "waiting", _("Đang chờ gửi")
    return "ok", _("Đã đồng bộ đủ")


def _plain(error: str) -> str:
    """The portal's reason without the technical tail: an error like "Không kết nối được Cổng
    DVC quốc gia: [Errno 111] Connection refused" keeps its Vietnamese first part."""
    text = " ".join(error.split())
    head, _sep, tail = text.partition(": ")
    if tail and not VIETNAMESE.search(tail):
        text = head  # what follows is a library's message, not the portal's words
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def _reading(now: datetime) -> dict[str, Any]:
    found = cache.get(CACHE_KEY)
    if found is None:
        from tinhso.dvcqg import queries

        found = {"health": queries.sync_health(now), "at": now}
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def _off_rows(unit: Unit) -> list[dict[str, Any]]:
    """`sync_health`'s agency rows for the unit with the sync off, from the counters: the
    dossiers received (1.4's denominator, every month of the unit's `UnitMonth`), those the
    portal has (1.4's numerator, `synced`), and the parked messages of the unit's dossiers."""
    from django.db.models import Sum

    from tinhso.core.models import OutboxMessage
    from tinhso.dossiers.models import Dossier
    from tinhso.dvcqg.sync import TOPIC
    from tinhso.ioc.models import UnitMonth

    counts = {
        agency_id: (received or 0, synced or 0)
        for agency_id, received, synced in UnitMonth.objects.filter(agency_id__in=unit.agency_ids)
        .values_list("agency_id")
        .annotate(received=Sum("received"), synced=Sum("synced"))
        .order_by()
    }
    parked_dossiers: dict[int, int] = {}
    for payload in OutboxMessage.objects.filter(
        topic=TOPIC, state=OutboxMessage.State.PARKED
    ).values_list("payload", flat=True):
        pk = int((payload or {}).get("dossier", 0) or 0)
        parked_dossiers[pk] = parked_dossiers.get(pk, 0) + 1
    parked: dict[int, int] = {}
    if parked_dossiers:
        for pk, agency_id in Dossier.objects.filter(
            pk__in=list(parked_dossiers), agency_id__in=unit.agency_ids
        ).values_list("pk", "agency_id"):
            parked[agency_id] = parked.get(agency_id, 0) + parked_dossiers[pk]
    rows = []
    for agency in unit.agencies:
        received, synced = counts.get(agency.pk, (0, 0))
        if not (received or parked.get(agency.pk)):
            continue
        rows.append(
            {
                "code": agency.code,
                "name": agency.name,
                "dossiers": received,
                "behind": max(received - synced, 0),
                "lag_seconds": 0,
                "parked": parked.get(agency.pk, 0),
                "last_error": "",
                "last_error_at": None,
            }
        )
    return rows


def unit_health(unit: Unit, user: Any, *, now: datetime | None = None) -> SyncHealth:
    """The sync of the unit's agencies (those that have dossiers), from the shared reading."""
    if not apps.is_installed("tinhso.dvcqg"):
        return SyncHealth(False, False, [], None, "")
    from tinhso.dvcqg import actions, sync

    enabled = sync.enabled()
    now = now or timezone.now()
    # with nothing sent, no walk over the dossiers (the module's docstring)
    off: dict[str, Any] = {"health": {"agencies": [] if enabled else _off_rows(unit)}, "at": now}
    reading = _reading(now) if enabled else off
    codes = {a.code for a in unit.agencies}
    rows = []
    for row in reading["health"]["agencies"]:
        if row["code"] not in codes:
            continue
        pending = row["behind"]
        state, label = _state(enabled, row["parked"], pending)
        rows.append(
            AgencySync(
                code=row["code"],
                name=row["name"],
                dossiers=row["dossiers"],
                synced=row["dossiers"] - pending,
                pending=pending,
                parked=row["parked"],
                # with the sync off nothing is sent: the "wait" is only the dossier's age
                lag=lag_words(row["lag_seconds"]) if enabled else "",
                last_error=_plain(row["last_error"]),
                last_error_at=row["last_error_at"],
                state=state,
                state_label=label,
            )
        )
    rows.sort(key=lambda a: ({"refused": 0, "waiting": 1}.get(a.state, 2), a.name))
    admin_url = ""
    if actions.may_manage_sync(user):
        try:
            admin_url = reverse("admin:dvcqg_syncstate_changelist")
        except NoReverseMatch:  # the admin site not mounted in this deployment
            admin_url = ""
    return SyncHealth(True, enabled, rows, reading["at"], admin_url)
