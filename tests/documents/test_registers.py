"""Registers: consecutive numbers per agency, year and sequence, each issued exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tinhso.core.models import AuditRecord
from tinhso.documents import actions
from tinhso.documents.models import Direction, IssuedNumber, Register


def test_numbers_run_from_one_per_register_and_year(agencies):
    stp, sxd = agencies["STP"], agencies["SXD"]
    got = [actions.issue_number(stp, 2026, Direction.OUTGOING).number for _ in range(3)]
    assert got == [1, 2, 3]
    assert actions.issue_number(stp, 2027, Direction.OUTGOING).number == 1
    assert actions.issue_number(stp, 2026, Direction.INCOMING).number == 1
    assert actions.issue_number(stp, 2026, Direction.OUTGOING, secret=True).number == 1
    assert actions.issue_number(sxd, 2026, Direction.OUTGOING).number == 1
    assert (
        Register.objects.get(agency=stp, year=2026, direction="outgoing", secret=False).last_number
        == 3
    )
    assert AuditRecord.objects.filter(action="documents.number.issue").count() == 7


def test_a_cancelled_number_is_recorded_and_never_reused(agencies):
    stp = agencies["STP"]
    first = actions.issue_number(stp, 2026, Direction.OUTGOING)
    cancelled = actions.cancel_number(first, reason="Ghi nhầm", actor=None)
    assert cancelled.cancel_reason == "Ghi nhầm"
    assert cancelled.cancelled_at is not None
    assert actions.issue_number(stp, 2026, Direction.OUTGOING).number == 2
    with pytest.raises(actions.DocumentError):
        actions.cancel_number(first, reason="lần hai", actor=None)
    with pytest.raises(actions.DocumentError):
        actions.cancel_number(IssuedNumber.objects.get(number=2), reason="  ", actor=None)
    assert list(IssuedNumber.objects.values_list("number", "cancel_reason")) == [
        (1, "Ghi nhầm"),
        (2, ""),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_gives_distinct_consecutive_numbers(agencies):
    stp = agencies["STP"]
    workers, per_worker = 8, 5
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def run() -> None:
        try:
            start.wait()
            for _ in range(per_worker):
                n = actions.issue_number(stp, 2026, Direction.OUTGOING).number
                with lock:
                    numbers.append(n)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, workers * per_worker + 1))
    assert IssuedNumber.objects.count() == workers * per_worker
