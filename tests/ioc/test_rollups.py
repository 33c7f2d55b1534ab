"""The rollups equal a full recount after a random mix of actions, whatever the order in
which the outbox delivers; and the index read from them equals the index by scanning.

The actions are the platform's own (`tinhso.dossiers.actions`, driven as the back office's
tests drive them), on a clock that moves forward by a random step before each, so dossiers
end early, on time and late, before and after their period's end. The outbox is delivered
in random batches, shuffled, with some messages delivered twice.
"""

from __future__ import annotations

import contextlib
import os
import random
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.dossiers.backoffice import ready_draft
from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.core.periods import parse
from tinhso.dossiers import actions
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import Dossier, Rating
from tinhso.ioc import dashboard, queries, rollups
from tinhso.ioc.models import DossierFact, UnitDay, UnitMonth, UnitWeek
from tinhso.places.models import Agency

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = Dossier.State

STEPS = {  # what may be tried on a dossier in each state (refusals are tried too)
    S.SUBMITTED: ("receive", "reject", "withdraw", "request_supplement"),
    S.RECEIVED: ("forward", "forward", "request_supplement", "approve", "approve", "refuse"),
    S.SUPPLEMENT_REQUESTED: ("answer_supplement", "withdraw"),
    S.APPROVED: ("attach_result", "mark_ready", "mark_ready"),
    S.RESULT_READY: ("return_result", "rate"),
    S.RETURNED: ("rate",),
    S.REFUSED: ("rate",),
}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def deliver(rng: random.Random) -> int:
    """Deliver the pending `ioc.dossier` messages in a random order, some twice."""
    pending = list(OutboxMessage.objects.filter(topic=rollups.TOPIC, state="pending"))
    rng.shuffle(pending)
    for message in pending:
        outbox.HANDLERS[message.topic](message)
        if rng.random() < 0.1:
            outbox.HANDLERS[message.topic](message)  # a retry after a lost acknowledgement
    OutboxMessage.objects.filter(pk__in=[m.pk for m in pending]).update(state="delivered")
    return len(pending)


def act(office, dossier: Dossier, action: str, rng: random.Random) -> None:
    if action == "rate":
        level = rng.choice(Rating.Level.values)
        actions.rate(dossier, level, "Chậm", user=office.citizen)
    else:
        office.perform(action, dossier)


def random_mix(office, n: int, seed: int) -> int:
    rng = random.Random(seed)
    clock = Clock(datetime(2026, 9, 28, 8, 0, tzinfo=HCM))
    done = 0
    pool: list[int] = []
    with mock.patch("django.utils.timezone.now", clock):
        while done < n:
            clock.at += timedelta(minutes=rng.choice((5, 30, 120, 600, 1440, 4320)))
            if len(pool) < 3 or rng.random() < 0.08:
                dossier = actions.submit(
                    ready_draft(office.version, office.citizen), user=office.citizen
                )
                pool.append(dossier.pk)
                done += 5  # start, form, file, delivery, submit
            else:
                dossier = Dossier.objects.get(pk=rng.choice(pool))
                choices = STEPS.get(dossier.state)
                if not choices:
                    pool.remove(dossier.pk)
                    continue
                with contextlib.suppress(DossierError):  # a refused action is one too
                    act(office, dossier, rng.choice(choices), rng)
                done += 1
            if rng.random() < 0.2:
                deliver(rng)
        deliver(rng)
    random_mix.ended_at = clock.at  # type: ignore[attr-defined]
    return done


def check_equal() -> None:
    recount = rollups.recount()
    stored = rollups.stored()
    assert stored == recount
    assert DossierFact.objects.count() == Dossier.objects.exclude(state=S.DRAFT).count()
    check_presummed()


def check_presummed() -> None:
    """The pre-summed tables (per day and per month without the procedure, and the online
    receptions per month and procedure) equal a recount from the dossiers, and are not
    empty (a comparison of two empty tables proves nothing)."""
    recount = rollups.recount_presummed()
    stored = rollups.stored_presummed()
    assert stored == recount
    assert all(stored[model] for model in (UnitDay, UnitWeek, UnitMonth)), stored


def test_the_overdue_and_due_today_counts_equal_the_open_dossiers_counted_one_by_one(office):
    """The overview's overdue figure is the in-progress counter less what is not overdue:
    it must be the open, unpaused dossiers past their appointment, at any moment."""
    random_mix(office, 400, seed=21)
    start = random_mix.ended_at  # type: ignore[attr-defined]
    # and dossiers received before the end at several distances, left running
    clock = Clock(start)
    with mock.patch("django.utils.timezone.now", clock):
        for days in (45, 12, 6, 2, 1, 0):
            clock.at = start - timedelta(days=days, hours=1)
            office.received()
        deliver(random.Random(21))
    open_at = DossierFact.objects.filter(counted=True, end_at__isnull=True)
    agency = Agency.objects.get(pk=open_at.values_list("agency_id", flat=True)[:1].get())
    unit = queries.resolve_unit(agency.code)
    running = dashboard.open_facts(unit.agency_ids).filter(open_since__isnull=True)
    assert running.count() >= 6
    seen = set()
    for hours in (-24 * 60, -24 * 20, -24 * 5, -30, -2, 0, 3, 26, 24 * 7, 24 * 40):
        now = start + timedelta(hours=hours)
        today = timezone.localtime(now).date()
        midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), HCM)
        expected = (
            running.filter(appointment_at__lt=now).count(),
            running.filter(appointment_at__gte=now, appointment_at__lt=midnight).count(),
        )
        assert dashboard.overdue_and_due_today(unit, now) == expected, hours
        # the overview's own reads (shared by its index and rankings) count the same
        local_now = timezone.localtime(now)
        month = parse(f"{local_now.year}-{local_now.month:02d}")
        overview = dashboard.overview(unit, month, now)
        assert (overview.overdue, overview.due_today) == expected, hours
        assert overview.index.as_dict() == queries.unit_index(unit, month, now=now).as_dict()
        seen.add(expected)
    assert len(seen) > 2, seen  # the moments chosen do tell the counts apart
    # and 2.1 of the periods not over at the end: the open dossiers due before the period's
    # end are counted in SQL (not paused), the paused ones judged one by one
    local = timezone.localtime(start)
    quarter = f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    due = running.filter(appointment_at__gte=start).count()
    assert due >= 2, due
    for text in (f"{local.year}-{local.month:02d}", quarter, str(local.year)):
        period = parse(text)
        fast = queries.unit_index(unit, period, now=start).as_dict()
        slow = queries.scan_index(unit, period, now=start).as_dict()
        assert _comparable(fast) == _comparable(slow), text
        assert dashboard.overview(unit, period, start).index.as_dict() == fast, text


def test_rollups_equal_a_recount_after_a_random_mix(office):
    done = random_mix(office, int(os.environ.get("IOC_MIX", "600")), seed=16)
    assert done >= 400
    check_equal()
    states = set(Dossier.objects.values_list("state", flat=True))
    assert {S.RETURNED, S.REFUSED, S.SUPPLEMENT_REQUESTED} <= states, states
    assert DossierFact.objects.filter(counted=True).count() > 10
    # and the index read from them is the index by scanning, for every period and unit
    unit = queries.resolve_unit(office.agencies["STP"].code)
    for text in ("2026-09", "2026-10", "2026-11", "2026-Q4", "2026"):
        period = parse(text)
        # at the end of the mix (a period not over: the open dossiers judged then) and now
        for moment in (random_mix.ended_at, timezone.now()):
            fast = queries.unit_index(unit, period, now=moment).as_dict()
            slow = queries.scan_index(unit, period, now=moment).as_dict()
            assert _comparable(fast) == _comparable(slow), (text, moment)


def _comparable(body):
    """The indicators the rollups count (3.5 and 3.6 come from payments' own scan there)."""
    return {
        i["code"]: (i["numerator"], i["denominator"], i["rate"], i["points"])
        for g in body["groups"]
        for i in g["indicators"]
        if i["code"] not in ("3.5", "3.6")
    }


@pytest.mark.slow
def test_ten_thousand_actions(office):
    assert random_mix(office, 10_000, seed=766) >= 10_000
    check_equal()


def test_rebuild_from_a_day_and_from_scratch_give_the_same_counters(office):
    random_mix(office, 200, seed=3)
    before = rollups.stored()
    rollups.rebuild()
    assert rollups.stored() == before
    # a counter damaged by hand is repaired by a rebuild from before its day
    from tinhso.ioc.models import DossierDay

    row = DossierDay.objects.order_by("day").last()
    DossierDay.objects.filter(pk=row.pk).update(received=row.received + 7)
    assert rollups.stored() != before
    UnitMonth.objects.filter(pk=UnitMonth.objects.order_by("period").first().pk).update(
        received=5000
    )
    rollups.rebuild(since=row.day)
    assert rollups.stored() == before
    # the month damaged before `since`'s month is not repaired from there; from scratch it is
    assert rollups.stored_presummed() != rollups.recount_presummed()
    rollups.rebuild()
    check_presummed()


def test_a_message_delivered_after_a_later_change_still_leaves_the_current_state(office):
    dossier = office.submitted()
    first = OutboxMessage.objects.filter(topic=rollups.TOPIC).order_by("pk").last()
    actions.receive(dossier, officer=office.tiepnhan)
    messages = list(OutboxMessage.objects.filter(topic=rollups.TOPIC).order_by("-pk"))
    for message in messages:  # newest first, then the oldest again
        outbox.HANDLERS[message.topic](message)
    outbox.HANDLERS[first.topic](first)
    fact = DossierFact.objects.get(dossier_id=dossier.pk)
    assert fact.state == S.RECEIVED and fact.counted
    assert rollups.stored() == rollups.recount()
    check_presummed()


def test_the_rebuild_command_recounts_and_refuses_a_bad_date(office):
    from io import StringIO

    from django.core.management import CommandError, call_command

    office.received()
    DossierFact.objects.all().delete()
    out = StringIO()
    call_command("ioc", "rebuild", stdout=out)
    assert "1 hồ sơ" in out.getvalue()
    assert rollups.stored() == rollups.recount() != {}
    with pytest.raises(CommandError):
        call_command("ioc", "rebuild", "--from", "2026-13-01")
