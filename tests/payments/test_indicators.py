"""Decision 766 indicators 3.5 and 3.6 (group TTTT), on a small province counted by hand.

Agencies: UBND (province level), STP and SXD (departments). Procedures in force at the end
of November 2026:

    P1  STP  200,000 due at submission, online            fee-bearing, integrated
    P2  STP   50,000 due "none" (paid at the counter)     fee-bearing, not integrated
    P3  STP  100,000, procedure not offered online        fee-bearing, not integrated
    P4  STP  no fee                                       not fee-bearing
    P5  STP  v1 (Oct) free; v2 (10 Dec) 40,000 online     November: not fee-bearing
    P6  STP  published 10 Dec only                        not in force in November
    P7  STP  200,000 online, but no longer applied        left out
    P8  no agency, levels [department], 30,000 online     offered by STP and SXD, integrated
    P9  SXD  500,000 before the result, partly online     fee-bearing, integrated
    P10 SXD  20,000 at the counter only (channels)        fee-bearing, not integrated

3.5 November: STP 2 of 4 (P1, P8 of P1, P2, P3, P8) = 50.00%; SXD 2 of 3 (P8, P9 of P8, P9,
P10) = 66.67%; UBND 0 of 0 = no data; province 3 of 6 (P1, P8, P9) = 50.00%.

Dossiers (received_at, Hà Nội time) for 3.6 November:

    D1 STP P1  3 Nov            paid through VNPay                 1 of 1
    D2 STP P1  30 Nov 23:30     paid through PayGov                1 of 1
    D3 STP P1  10 Nov           paid at the counter                0 of 1
    D4 STP P2  12 Nov           unpaid                             0 of 1
    D5 STP P1  1 Dec 00:00      paid through VNPay                 outside
    D6 STP P1  31 Oct 23:59     paid through VNPay                 outside
    D7 STP P4  5 Nov            no fee                             not fee-bearing
    D8 STP P1  6 Nov            VNPay failed, then the counter     0 of 1
    D9 STP P1  submitted 7 Nov, not received                       not received
    D10 SXD P9 8 Nov            paid through VNPay                 1 of 1
    D11 SXD P9 9 Nov            unpaid                             0 of 1

3.6 November: STP 2 of 5 = 40.00%; SXD 1 of 2 = 50.00%; UBND no data; province 3 of 7 =
42.86%.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tinhso.catalogue.models import Field, Procedure, ProcedureVersion
from tinhso.core.periods import parse
from tinhso.dossiers.models import Dossier
from tinhso.payments import indicators, queries
from tinhso.payments.indicators import Indicator, indicator
from tinhso.payments.models import Attempt, Charge

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
FULL, PARTIAL, NONE = (
    ProcedureVersion.OnlineType.FULL,
    ProcedureVersion.OnlineType.PARTIAL,
    ProcedureVersion.OnlineType.NONE,
)


def line(amount, due="submission", **extra):
    return {"kind": "le_phi", "code": "L1", "name": "Lệ phí", "amount": amount, "due": due, **extra}


# --- the pure rules -----------------------------------------------------------------------


def test_rate_is_a_rounded_percent_and_a_zero_denominator_is_no_data():
    assert indicator("3.5", 2, 3).rate == Decimal("66.67")
    assert indicator("3.6", 1, 8).rate == Decimal("12.50")
    assert indicator("3.6", 1, 200).rate == Decimal("0.50")
    assert indicator("3.5", 0, 4).rate == Decimal("0.00")
    assert indicator("3.5", 0, 0).rate is None
    assert indicator("3.5", 0, 0).as_dict() == {"numerator": 0, "denominator": 0, "rate": None}
    assert indicator("3.6", 3, 7).as_dict() == {"numerator": 3, "denominator": 7, "rate": 42.86}


def test_the_80_percent_threshold_of_3_5():
    assert indicator("3.5", 4, 5).meets_threshold is True
    assert indicator("3.5", 79, 100).meets_threshold is False
    assert indicator("3.5", 0, 0).meets_threshold is None
    assert indicator("3.6", 5, 5).meets_threshold is None  # no threshold given for 3.6


def test_counts_that_are_not_a_share_are_refused():
    for numerator, denominator in ((3, 2), (-1, 2), (0, -1)):
        with pytest.raises(ValueError):
            indicator("3.5", numerator, denominator)
    with pytest.raises(ValueError):
        indicator("3.4", 1, 2)
    with pytest.raises(ValueError):
        indicator("3.5", 1, 2) + indicator("3.6", 1, 2)
    assert indicator("3.6", 1, 2) + indicator("3.6", 2, 5) == Indicator("3.6", 3, 7)


@pytest.mark.parametrize(
    ("table", "bearing", "online"),
    [
        ([], False, False),
        (None, False, False),
        ([line(0)], False, False),
        ([line(200000)], True, True),
        ([line(200000, due="before_result")], True, True),
        ([line(50000, due="none")], True, False),
        ([line(20000, channels=["counter"])], True, False),
        ([line(20000, channels=["online"])], True, True),
        ([line(0, by={"field": "doi_tuong", "amounts": {"sinh_vien": 100000}})], True, True),
        ([line(8000, exempt={"field": "doi_tuong", "values": ["ho_ngheo"]})], True, True),
        # the national portal's old shape: a price per channel, conditional lines not charged
        ([{"name": "Lệ phí (nộp trực tuyến)", "amount": 10000, "note": ""}], True, True),
        ([{"name": "Phí cấp bản sao (nếu yêu cầu)", "amount": 8000, "note": ""}], True, False),
        # a table that does not parse is charged, but not online
        ([{"name": "Lệ phí", "amount": 5000, "due": "someday"}], True, False),
        ([{"name": "Lệ phí", "amount": "5000", "due": "someday"}], False, False),
        ("not a list", False, False),
    ],
)
def test_fee_bearing_and_integrated(table, bearing, online):
    assert indicators.is_fee_bearing(table) is bearing
    assert indicators.offers_online_payment(table, True) is online
    assert indicators.offers_online_payment(table, False) is False


def test_formulas_from_rows():
    offered = [([line(1)], True), ([line(1, due="none")], True), ([], True), ([line(5)], False)]
    assert indicators.procedures_indicator(offered) == Indicator("3.5", 1, 3)
    received = [([line(1)], 4, 1), ([], 9, 0), ([line(2)], 3, 3)]
    assert indicators.dossiers_indicator(received) == Indicator("3.6", 4, 7)


# --- the province counted by hand ---------------------------------------------------------


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HCM)


class Province:
    def __init__(self) -> None:
        where = factories.province()
        self.agencies = factories.agencies(where, "STP", "SXD")
        self.field = Field.objects.create(code="G-TEST", name="Thử")
        self.numbers = count(1)
        self.citizen = factories.citizen()

    def procedure(
        self,
        code,
        agency,
        fees,
        *,
        online=FULL,
        channels=("online", "counter"),
        published=None,
        levels=("department",),
        active=True,
        number=1,
        state=ProcedureVersion.State.PUBLISHED,
        procedure=None,
    ):
        procedure = procedure or Procedure.objects.create(
            code=code,
            name=f"Thủ tục {code}",
            field=self.field,
            agency=self.agencies[agency] if agency else None,
            levels=list(levels),
            is_active=active,
        )
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=number,
            state=state,
            published_at=published or at(1, month=1),
            name=procedure.name,
            online_type=online,
            channels=list(channels),
            fees=fees,
        )
        return version

    def dossier(self, version, agency, received, *paid):
        n = next(self.numbers)
        dossier = Dossier.objects.create(
            code=f"000.00.03.H66-261101-{n:04d}",
            version=version,
            agency=self.agencies[agency],
            owner=self.citizen,
            applicant_name="Nguyễn Văn An",
            form_data={},
            state=Dossier.State.RECEIVED if received else Dossier.State.SUBMITTED,
            submitted_at=(received or at(7)) - timedelta(hours=1),
            received_at=received,
        )
        if paid:
            charge = Charge.objects.create(dossier=dossier, due="submission", total=1000)
            for k, (gateway, state) in enumerate(paid):
                Attempt.objects.create(
                    charge=charge,
                    gateway=gateway,
                    txn_ref=f"T{n}-{k}",
                    amount=1000,
                    state=state,
                    created_at=received,
                    expires_at=received + timedelta(minutes=15),
                )
        return dossier


PAID = Attempt.State.PAID


@pytest.fixture
def province(db):
    p = Province()
    superseded = ProcedureVersion.State.SUPERSEDED
    v1 = p.procedure("P1", "STP", [line(200000)])
    v2 = p.procedure("P2", "STP", [line(50000, due="none")])
    p.procedure("P3", "STP", [line(100000)], online=NONE, channels=("counter",))
    v4 = p.procedure("P4", "STP", [])
    p5 = p.procedure("P5", "STP", [], published=at(1, month=10), state=superseded)
    p.procedure(
        "P5",
        "STP",
        [line(40000)],
        published=at(10, month=12),
        number=2,
        procedure=p5.procedure,
    )
    p.procedure("P6", "STP", [line(60000, due="none")], published=at(10, month=12))
    p.procedure("P7", "STP", [line(200000)], active=False)
    p.procedure("P8", None, [line(30000)], levels=("department",))
    v9 = p.procedure(
        "P9",
        "SXD",
        [line(500000, due="before_result")],
        online=PARTIAL,
        channels=("online", "counter"),
    )
    p.procedure("P10", "SXD", [line(20000, channels=["counter"])])

    p.dossier(v1, "STP", at(3), ("vnpay", PAID))
    p.dossier(v1, "STP", at(30, 23, 30), ("paygov", PAID))
    p.dossier(v1, "STP", at(10), ("counter", PAID))
    p.dossier(v2, "STP", at(12))
    p.dossier(v1, "STP", at(1, 0, 0, month=12), ("vnpay", PAID))
    p.dossier(v1, "STP", at(31, 23, 59, month=10), ("vnpay", PAID))
    p.dossier(v4, "STP", at(5))
    p.dossier(v1, "STP", at(6), ("vnpay", Attempt.State.FAILED), ("counter", PAID))
    p.dossier(v1, "STP", None)
    p.dossier(v9, "SXD", at(8), ("vnpay", PAID))
    p.dossier(v9, "SXD", at(9))
    return p


def counts(row):
    return (
        (row.procedures.numerator, row.procedures.denominator),
        (row.dossiers.numerator, row.dossiers.denominator),
    )


@pytest.mark.django_db
def test_each_agency_and_the_province_in_november(province):
    with CaptureQueriesContext(connection) as queries_made:
        report = queries.payment_indicators(parse("2026-11"))
    assert len(queries_made) == 4
    by_code = {row.code: counts(row) for row in report.agencies}
    assert by_code == {
        "000.00.00.H66": ((0, 0), (0, 0)),
        "000.00.03.H66": ((2, 4), (2, 5)),
        "000.00.07.H66": ((2, 3), (1, 2)),
    }
    assert counts(report.total) == ((3, 6), (3, 7))
    assert (report.total.procedures.rate, report.total.dossiers.rate) == (
        Decimal("50.00"),
        Decimal("42.86"),
    )
    ubnd = report.agencies[0]
    assert (ubnd.procedures.rate, ubnd.dossiers.rate) == (None, None)

    # one more department: still four queries; it offers the shared P8, the province's
    # figures do not change (P8 is counted once)
    factories.agency(province.agencies["UBND"], "000.00.09.H66", "Sở Y tế tỉnh Đắk Lắk", "SYT")
    with CaptureQueriesContext(connection) as queries_made:
        report = queries.payment_indicators(parse("2026-11"))
    assert len(queries_made) == 4
    assert {row.code: counts(row) for row in report.agencies}["000.00.09.H66"] == (
        (1, 1),
        (0, 0),
    )
    assert counts(report.total) == ((3, 6), (3, 7))


@pytest.mark.django_db
def test_one_agency_with_a_bounded_number_of_queries(province, django_assert_num_queries):
    stp = province.agencies["STP"]
    with django_assert_num_queries(3):  # versions, dossiers, their fee tables
        report = queries.payment_indicators(parse("2026-11"), agency=stp)
    assert [row.code for row in report.agencies] == [stp.code]
    assert counts(report.total) == ((2, 4), (2, 5))
    assert (report.total.procedures.rate, report.total.dossiers.rate) == (
        Decimal("50.00"),
        Decimal("40.00"),
    )
    # more dossiers do not mean more queries
    v1 = ProcedureVersion.objects.get(procedure__code="P1")
    for day in (13, 14, 15):
        province.dossier(v1, "STP", at(day), ("vnpay", PAID))
    with django_assert_num_queries(3):
        report = queries.payment_indicators(parse("2026-11"), agency=stp)
    assert counts(report.total) == ((2, 4), (5, 8))


@pytest.mark.django_db
def test_the_version_in_force_at_the_end_of_the_period(province):
    stp = province.agencies["STP"]
    # December: P5's version 2 (fee, online) and P6 (fee at the counter) are now in force
    december = queries.payment_indicators(parse("2026-12"), agency=stp).total
    assert counts(december) == ((3, 6), (1, 1))  # D5 received 1 Dec 00:00, paid online
    assert december.procedures.rate == Decimal("50.00")
    # the fourth quarter holds October, November and December's dossiers (D6, D1-D4, D8, D5)
    quarter = queries.payment_indicators(parse("2026-Q4"), agency=stp).total
    assert counts(quarter) == ((3, 6), (4, 7))
    # before any procedure was published, nothing to measure
    early = queries.payment_indicators(parse("2025"), agency=stp).total
    assert counts(early) == ((0, 0), (0, 0))
    assert early.as_dict()["indicators"]["3.5"]["rate"] is None


# --- the command --------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("payments", "indicators", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_as_json_for_the_province_and_for_one_agency(province):
    everything = json.loads(run("--period", "2026-11", "--json"))
    assert everything["period"] == "2026-11"
    assert (everything["unit"], everything["name"]) == ("province", "Toàn tỉnh")
    assert everything["indicators"] == {
        "3.5": {"numerator": 3, "denominator": 6, "rate": 50.0},
        "3.6": {"numerator": 3, "denominator": 7, "rate": 42.86},
    }
    assert [(a["unit"], a["indicators"]["3.6"]["rate"]) for a in everything["agencies"]] == [
        ("000.00.00.H66", None),
        ("000.00.03.H66", 40.0),
        ("000.00.07.H66", 50.0),
    ]
    one = json.loads(run("--period", "2026-11", "--agency", "000.00.07.H66", "--json"))
    assert (one["unit"], one["name"]) == ("000.00.07.H66", "Sở Xây dựng tỉnh Đắk Lắk")
    assert one["indicators"] == {
        "3.5": {"numerator": 2, "denominator": 3, "rate": 66.67},
        "3.6": {"numerator": 1, "denominator": 2, "rate": 50.0},
    }
    assert [a["unit"] for a in one["agencies"]] == ["000.00.07.H66"]


@pytest.mark.django_db
def test_the_command_as_text(province):
    lines = run("--period", "2026-Q4").splitlines()
    assert lines[0] == "period 2026-Q4: 3.5 procedures integrated, 3.6 dossiers paid online"
    assert lines[1].split()[:5] == ["province", "4/8", "50.00%", "5/9", "55.56%"]
    assert lines[2].split()[:5] == ["000.00.00.H66", "0/0", "no", "data", "0/0"]


@pytest.mark.django_db
def test_the_command_refuses_a_bad_period_or_an_unknown_agency(province):
    with pytest.raises(CommandError, match="Kỳ báo cáo '2026-13' không hợp lệ"):
        run("--period", "2026-13")
    with pytest.raises(
        CommandError, match=re.escape("Không tìm thấy cơ quan, đơn vị có mã '000.00.99.H66'")
    ):
        run("--period", "2026-11", "--agency", "000.00.99.H66")
