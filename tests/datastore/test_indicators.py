"""Decision 766 digitisation and reuse indicators (`datastore/indicators.py`): exact counts
from a known set of dossiers, no data is None (never 0%), a bounded number of queries, and
the command's JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.dossiers import support
from tests.dossiers.backoffice import ready_draft
from tinhso.core.periods import parse
from tinhso.datastore import indicators
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier


def _counter(office, *, digitised: bool) -> Dossier:
    tk = office.version.components.get(code="TK")
    return actions.intake(
        office.version,
        officer=office.tiepnhan,
        channel="counter",
        personal_id="066195000999",
        full_name="Trần Thị Thu Hương",
        form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
        components=[
            actions.PaperComponent(tk.pk, "to-khai.pdf", support.pdf_bytes("tk"), digitised)
        ],
        delivery="counter",
    )


def test_indicators_count_exactly(office, upload):
    citizen = office.citizen
    # online: 2 component files, 1 reused from the store
    mine = upload(user=citizen)
    draft = ready_draft(office.version, citizen)
    cccd = office.version.components.get(code="CCCD")
    actions.attach_from_datastore(draft, cccd.pk, mine.ref, user=citizen)
    actions.submit(draft, user=citizen)
    # two counter dossiers, one with its component digitised
    _counter(office, digitised=True)
    _counter(office, digitised=False)
    period = parse(timezone.localdate().strftime("%Y-%m"))
    stp = office.agencies["STP"]
    with CaptureQueriesContext(connection) as queries:
        [row] = indicators.compute(period, agency=stp)
    assert len(queries) == 3
    got = {code: (i.numerator, i.denominator, i.rate) for code, i in row.indicators.items()}
    assert got == {
        indicators.RESULTS: (0, 0, None),  # nothing returned yet: no data, not 0%
        indicators.DIGITISED: (1, 2, Decimal("50.00")),
        indicators.REUSED: (1, 4, Decimal("25.00")),
    }
    everything = indicators.compute(period)
    assert [r.agency for r in everything] == [stp.code, ""]
    assert everything[-1].indicators[indicators.REUSED].numerator == 1
    # another period: no data
    [empty] = indicators.compute(parse("2020"), agency=stp)
    assert all(i.rate is None for i in empty.indicators.values())


def test_command_json(office):
    _counter(office, digitised=True)
    out = StringIO()
    call_command(
        "datastore",
        "indicators",
        "--period",
        timezone.localdate().strftime("%Y"),
        "--agency",
        office.agencies["STP"].code,
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    [agency] = data["agencies"]
    digitised = next(i for i in agency["indicators"] if i["code"] == "dossiers_digitised")
    assert (digitised["numerator"], digitised["denominator"], digitised["rate"]) == (
        1,
        1,
        "100.00",
    )


def test_command_refuses_a_bad_period(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("datastore", "indicators", "--period", "2026-13")
