"""The Decision 766 index of a small province, counted by hand, read as the API answers it.

Agencies: UBND (province level), STP and SXD (departments). Procedures in force in Nov 2026:

    P1 STP  200,000 due at submission, online, fully online   fee-bearing, integrated
    P2 STP  no fee, counter only                              not an online service
    P3 STP  50,000 paid at the counter ("none"), partly online fee-bearing, not integrated
    P4 SXD  no fee, fully online

Dossiers of STP received in November (appointments as the platform stores them: a pause
already answered is in the appointment; end = finished, else returned):

    D1 P1 web     2 Nov 09:00, due 10 Nov 17:00, returned, ended 9 Nov 10:00  early; result;
                  paid by VNPay; synced
    D2 P1 counter 3 Nov 09:00, due 10 Nov 17:00, result 11 Nov 08:00         late; result;
                  paid at the counter; rated "not satisfied"; synced
    D3 P3 web     4 Nov 09:00, one request 9 Nov 08:00-10 Nov 08:00, due 11 Nov 17:00
                  (10 Nov + the 8 working hours paused), ended 11 Nov 15:00  on time; paper result
    D4 P1 api     5 Nov 09:00, two requests, due 20 Nov 17:00, ended 16 Nov 09:00  late (2
                  requests); result; paid by PayGov
    D5 P2 counter 6 Nov 09:00, due 12 Nov 17:00, refused 12 Nov 09:00         on time
    D6 P1 web     20 Nov 09:00, due 3 Dec 17:00, still in progress           on time
    D7 P2 counter 9 Nov 09:00, due 16 Nov 17:00, still in progress           late
    D8 P1 web     withdrawn before reception                                 not counted
    D9 P1 web     31 Oct 09:00, due 6 Nov 17:00, in progress                 October (Q4 only)
    D10 P4 web (SXD) 10 Nov 09:00, due 13 Nov 17:00, ended 12 Nov 10:00      early

STP, November 2026 (maxima: 1.4 = 6, 2.1 = 14, 3.x = 4, 3.5 = 3.6 = 5, 4.1 = 4, 5.4 = 6):

    1.4  2 of 7 synced          28.57%   28.57 × 6 ÷ 100 = 1.71
    2.1  4 of 7 on time         57.14%   57.14 × 14 ÷ 100 = 8.00
    2.2  (41 + 47 + 44.5 + 56 + 32) working hours ÷ 8 ÷ 5 = 5.51 working days, unscored
    3.1  2 of 3 online          66.67%   66.67 × 4 ÷ 80 = 3.33
    3.2  2 of 2 with dossiers  100.00%   4
    3.3  4 of 7 online          57.14%   ≥ 50%: 4
    3.5  1 of 2 integrated      50.00%   50 × 5 ÷ 80 = 3.13
    3.6  2 of 5 paid online     40.00%   40 × 5 ÷ 100 = 2.00
    4.1  3 of 4 with a result   75.00%   3.00
    5.4  (7 − 3 late − 1 disliked) of 7 = 42.86%   42.86 × 6 ÷ 90 = 2.86
    total 1.71 + 8.00 + 11.33 + 5.13 + 3.00 + 2.86 = 32.03 of the 52 points scored
"""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from tinhso.catalogue.models import Field, Procedure, ProcedureVersion
from tinhso.core.calendar import current_calendar
from tinhso.core.periods import parse
from tinhso.dossiers.models import Dossier, DossierResult, Rating, SupplementRequest
from tinhso.ioc import queries, rollups
from tinhso.payments.models import Attempt, Charge
from tinhso.people import clients
from tinhso.people.models import ApiClient, Role

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
URL = "/api/v1/ioc/index"
S = Dossier.State


def at(day, hour=9, minute=0, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=HCM)


def line(amount, due="submission"):
    return {"kind": "le_phi", "code": "L1", "name": "Lệ phí", "amount": amount, "due": due}


class World:
    def __init__(self) -> None:
        self.province = factories.province()
        self.agencies = factories.agencies(self.province, "STP", "SXD")
        self.field = Field.objects.create(code="G-IOC", name="Thử")
        self.citizen = factories.citizen()
        self.numbers = count(1)

    def procedure(self, code, agency, fees, online, channels):
        procedure = Procedure.objects.create(
            code=code,
            name=f"Thủ tục {code}",
            field=self.field,
            agency=self.agencies[agency],
            levels=["department"],
        )
        return ProcedureVersion.objects.create(
            procedure=procedure,
            number=1,
            state=ProcedureVersion.State.PUBLISHED,
            published_at=at(1, month=1),
            name=procedure.name,
            online_type=online,
            channels=list(channels),
            fees=fees,
        )

    def dossier(self, version, agency, channel, received, due, state, end=None, **extra):
        n = next(self.numbers)
        return Dossier.objects.create(
            code=f"000.00.03.H66-2611-{n:04d}",
            version=version,
            agency=self.agencies[agency],
            owner=self.citizen,
            applicant_name="Nguyễn Văn An",
            form_data={},
            channel=channel,
            state=state,
            submitted_at=received or at(10),
            received_at=received,
            appointment_at=due,
            finished_at=end,
            **extra,
        )


def supplement(dossier, start, answered):
    SupplementRequest.objects.create(
        dossier=dossier,
        requested_at=start,
        answered_at=answered,
        reason="Thiếu giấy tờ",
        during_processing=True,
    )


def result(dossier, when):
    DossierResult.objects.create(dossier=dossier, name="Giấy chứng nhận", issued_at=when)


def paid(dossier, gateway, n):
    charge = Charge.objects.create(dossier=dossier, due="submission", total=1000)
    Attempt.objects.create(
        charge=charge,
        gateway=gateway,
        txn_ref=f"IOC{n}",
        amount=1000,
        state=Attempt.State.PAID,
        created_at=dossier.received_at,
        expires_at=dossier.received_at,
    )


def synced(dossier, on_portal=True):
    from tinhso.dvcqg.models import SyncState

    SyncState.objects.create(dossier=dossier, created_at_portal=on_portal)


@pytest.fixture
def world(db):
    w = World()
    full, partial, none = (
        ProcedureVersion.OnlineType.FULL,
        ProcedureVersion.OnlineType.PARTIAL,
        ProcedureVersion.OnlineType.NONE,
    )
    p1 = w.procedure("P1", "STP", [line(200000)], full, ("online", "counter"))
    p2 = w.procedure("P2", "STP", [], none, ("counter",))
    p3 = w.procedure("P3", "STP", [line(50000, due="none")], partial, ("online", "counter"))
    p4 = w.procedure("P4", "SXD", [], full, ("online",))
    web, api, counter = Dossier.Channel.WEB, Dossier.Channel.API, Dossier.Channel.COUNTER

    d1 = w.dossier(p1, "STP", web, at(2), at(10, 17), S.RETURNED, at(9, 10))
    d2 = w.dossier(p1, "STP", counter, at(3), at(10, 17), S.RESULT_READY, at(11, 8))
    d3 = w.dossier(p3, "STP", web, at(4), at(11, 17), S.RESULT_READY, at(11, 15))
    d4 = w.dossier(p1, "STP", api, at(5), at(20, 17), S.RETURNED, at(16, 9))
    w.dossier(p2, "STP", counter, at(6), at(12, 17), S.REFUSED, at(12, 9))
    d6 = w.dossier(p1, "STP", web, at(20), at(3, 17, month=12), S.RECEIVED)
    w.dossier(p2, "STP", counter, at(9), at(16, 17), S.RECEIVED)
    w.dossier(p1, "STP", web, None, None, S.WITHDRAWN)
    w.dossier(p1, "STP", web, at(31, month=10), at(6, 17), S.RECEIVED)
    w.dossier(p4, "SXD", web, at(10), at(13, 17), S.RETURNED, at(12, 10))

    supplement(d3, at(9, 8), at(10, 8))
    supplement(d4, at(6), at(9))
    supplement(d4, at(12), at(13))
    for dossier, when in ((d1, at(9, 10)), (d2, at(11, 8)), (d4, at(16, 9))):
        result(dossier, when)
    paid(d1, "vnpay", 1)
    paid(d2, "counter", 2)
    paid(d4, "paygov", 4)
    Rating.objects.create(dossier=d1, level=Rating.Level.SATISFIED)
    Rating.objects.create(dossier=d2, level=Rating.Level.NOT_SATISFIED)
    Rating.objects.create(dossier=d6, level=Rating.Level.VERY_SATISFIED)
    if queries.national_sync_available():
        synced(d1)
        synced(d2)
        synced(d3, on_portal=False)
    rollups.rebuild()  # the fixture writes rows directly, past the actions' outbox messages
    return w


def indicators(body):
    return {i["code"]: i for g in body["groups"] for i in g["indicators"]}


def scored(body):
    return {
        code: (i["numerator"], i["denominator"], i["rate"], i["points"], i["maximum"])
        for code, i in indicators(body).items()
        if i["available"]
    }


def viewer(client, world, role=Role.IOC_VIEWER, where="STP", name="ioc"):
    user = factories.official(name, roles=[(role, world.agencies[where])])
    return factories.sign_in(client, user)


STP_NOVEMBER = {
    "1.4": (2, 7, 28.57, 1.71, 6.0),
    "2.1": (4, 7, 57.14, 8.0, 14.0),
    "2.2": (None, 5, 5.51, None, 6.0),
    "3.1": (2, 3, 66.67, 3.33, 4.0),
    "3.2": (2, 2, 100.0, 4.0, 4.0),
    "3.3": (4, 7, 57.14, 4.0, 4.0),
    "3.5": (1, 2, 50.0, 3.13, 5.0),
    "3.6": (2, 5, 40.0, 2.0, 5.0),
    "4.1": (3, 4, 75.0, 3.0, 4.0),
    "5.4": (3, 7, 42.86, 2.86, 6.0),
}


@pytest.mark.django_db
def test_an_ioc_viewer_reads_their_agency_as_counted_by_hand(client, world):
    viewer(client, world)
    response = client.get(URL, {"unit": "000.00.03.H66", "period": "2026-11"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit"] == {
        "kind": "agency",
        "code": "000.00.03.H66",
        "name": "Sở Tư pháp tỉnh Đắk Lắk",
    }
    assert body["period"] == "2026-11"
    expected = dict(STP_NOVEMBER)
    if not queries.national_sync_available():
        del expected["1.4"]
    assert scored(body) == expected
    groups = {g["key"]: (g["points"], g["scored_maximum"], g["maximum"]) for g in body["groups"]}
    sync = queries.national_sync_available()
    assert groups == {
        "CKMB": (1.71, 6.0, 18) if sync else (0.0, 0.0, 18),
        "TDGQ": (8.0, 14.0, 20),
        "CLGQ": (11.33, 12.0, 12),
        "TTTT": (5.13, 10.0, 10),
        "MDSH": (3.0, 4.0, 22),
        "MDHL": (2.86, 6.0, 18),
    }
    assert (body["points"], body["scored_maximum"], body["maximum"]) == (
        (32.03, 52.0, 100) if sync else (30.32, 46.0, 100)
    )
    missing = {c: i["reason"] for c, i in indicators(body).items() if not i["available"]}
    assert sorted(missing) == [
        "1.1",
        "1.2",
        "1.3",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
        "5.1",
        "5.2",
        "5.3",
    ] + ([] if sync else ["1.4"])
    assert all(
        i["rate"] is None and i["points"] is None
        for c, i in indicators(body).items()
        if c in missing
    )
    assert all(missing.values())
    assert indicators(body)["2.2"]["unit"] == "working_days"


@pytest.mark.django_db
def test_national_sync_not_recorded_is_unavailable_not_zero(client, world, monkeypatch):
    monkeypatch.setattr(queries, "national_sync_available", lambda: False)
    report = queries.unit_index(queries.resolve_unit("000.00.03.H66"), parse("2026-11"))
    value = report.as_dict()["groups"][0]["indicators"][3]
    assert value["code"] == "1.4"
    assert (value["available"], value["rate"], value["points"]) == (False, None, None)
    assert value["reason"] == (
        "Chưa bật đồng bộ hồ sơ với Cổng Dịch vụ công quốc gia nên chưa có số liệu."
    )


@pytest.mark.django_db
def test_the_quarter_counts_october_too_and_the_province_every_agency(client, world):
    viewer(client, world, role=Role.LEADER, where="UBND", name="lanhdao")
    quarter = client.get(URL, {"unit": "000.00.03.H66", "period": "2026-Q4"}).json()
    # The quarter is not over (these tests run after 3 Dec 2026): it is judged now, so D6
    # (due 3 Dec 17:00, unfinished) is late by now, and D9 (31 Oct, due 6 Nov) joins as
    # late: D1, D3, D5 on time of 8
    assert scored(quarter)["2.1"][:3] == (3, 8, 37.5)
    province = client.get(URL, {"unit": "66", "period": "2026-11"}).json()
    assert province["unit"]["kind"] == "province"
    # STP's 7 and SXD's D10 (early): 5 of 8; online 5 of 8
    assert scored(province)["2.1"][:3] == (5, 8, 62.5)
    assert scored(province)["3.3"][:3] == (5, 8, 62.5)
    assert scored(province)["3.6"][:3] == (2, 5, 40.0)
    year = client.get(URL, {"unit": "66", "period": "2026"}).json()
    # the year, judged now too: D1, D3, D5 and D10 on time of STP's 8 and SXD's 1
    assert scored(year)["2.1"][:3] == (4, 9, 44.44)


@pytest.mark.django_db
def test_a_client_with_ioc_read_reads_any_unit_and_others_are_refused(client, world):
    _, key = clients.issue("Bảng điều hành", scopes=["ioc.read"], actor=None)
    _, other = clients.issue("Nộp hồ sơ", scopes=["dossiers.submit"], actor=None)
    query = {"unit": "000.00.07.H66", "period": "2026-11"}
    response = client.get(URL, query, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert scored(response.json())["2.1"][:3] == (1, 1, 100.0)
    assert client.get(URL, query, headers={"X-API-Key": key}).status_code == 200
    refused = client.get(URL, query, headers={"Authorization": f"Bearer {other}"})
    assert (refused.status_code, refused.json()["code"]) == (403, "missing_scope")
    assert client.get(URL, query).status_code == 401
    assert ApiClient.objects.count() == 2


@pytest.mark.django_db
def test_officials_see_only_the_units_their_roles_reach(client, world):
    viewer(client, world)  # IOC viewer at STP
    assert client.get(URL, {"unit": "000.00.07.H66", "period": "2026-11"}).status_code == 404
    assert client.get(URL, {"unit": "66", "period": "2026-11"}).status_code == 404
    client.logout()
    viewer(client, world, role=Role.SPECIALIST, name="chuyenvien")
    assert client.get(URL, {"unit": "000.00.03.H66", "period": "2026-11"}).status_code == 403
    client.logout()
    factories.sign_in(client, factories.citizen(personal_id="066090009999", phone=None, email=None))
    assert client.get(URL, {"unit": "000.00.03.H66", "period": "2026-11"}).status_code == 403
    client.logout()
    viewer(client, world, role=Role.LEADER, where="UBND", name="lanhdao")
    assert client.get(URL, {"unit": "000.00.07.H66", "period": "2026-11"}).status_code == 200
    assert client.get(URL, {"unit": "66", "period": "2026-11"}).status_code == 200


@pytest.mark.django_db
def test_no_unit_code_can_be_probed_and_a_closed_agency_s_role_grants_nothing(client, world):
    viewer(client, world, role=Role.SPECIALIST, name="chuyenvien")
    # without the role, an unknown code and a known one get the same 403
    for code in ("999.99", "000.00.03.H66"):
        assert client.get(URL, {"unit": code, "period": "2026-11"}).status_code == 403
    client.logout()
    viewer(client, world, role=Role.LEADER, where="UBND", name="lanhdao")
    assert client.get(URL, {"unit": "66", "period": "2026-11"}).status_code == 200
    world.agencies["UBND"].is_active = False  # merged away (2025): its roles lapse with it
    world.agencies["UBND"].save(update_fields=["is_active"])
    assert client.get(URL, {"unit": "66", "period": "2026-11"}).status_code == 403


@pytest.mark.django_db
def test_a_bad_unit_or_period_is_422_per_field(client, world):
    viewer(client, world)
    response = client.get(URL, {"unit": "999.99", "period": "2026-13"})
    assert response.status_code == 422
    fields = {(d["field"], d["type"]) for d in response.json()["detail"]}
    assert fields == {("unit", "ioc.unit_unknown"), ("period", "core.period_invalid")}
    response = client.get(URL, {"unit": "66", "period": "tháng 11"})
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["query", "period"]]
    response = client.get(URL, {"period": "2026-11"})
    assert response.status_code == 422


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_dossiers(world, django_assert_num_queries):
    unit = queries.resolve_unit("000.00.03.H66")
    current_calendar()  # read once and kept by the process
    with django_assert_num_queries(QUERIES):
        queries.unit_index(unit, parse("2026-11"))
    version = ProcedureVersion.objects.get(procedure__code="P1")
    for day in range(11, 21):
        world.dossier(version, "STP", Dossier.Channel.WEB, at(day), at(27, 17), S.RECEIVED)
    rollups.rebuild()
    with django_assert_num_queries(QUERIES):
        queries.unit_index(unit, parse("2026-11"))


# the counters' totals; the procedures with an online dossier and the procedures in force,
# one round trip (a period already over: no open dossier re-judged)
QUERIES = 2


@pytest.mark.django_db
def test_the_command_prints_what_the_api_answers(client, world):
    out = StringIO()
    call_command(
        "ioc", "index", "--unit", "000.00.03.H66", "--period", "2026-11", "--json", stdout=out
    )
    body = json.loads(out.getvalue())
    viewer(client, world)
    assert body == client.get(URL, {"unit": "000.00.03.H66", "period": "2026-11"}).json()
    text = StringIO()
    call_command("ioc", "index", "--unit", "000.00.03.H66", "--period", "2026-11", stdout=text)
    lines = text.getvalue().splitlines()
    assert "  2.1  4/7  57.14 percent  8 / 14" in lines
    assert "  2.2  n=5  5.51 working_days  — / 6" in lines
    with pytest.raises(CommandError, match="2026-13"):
        call_command("ioc", "index", "--unit", "66", "--period", "2026-13")
    with pytest.raises(CommandError, match="999"):
        call_command("ioc", "index", "--unit", "999", "--period", "2026")


@pytest.mark.django_db
def test_a_commune_with_no_dossiers_has_no_data_not_zero(client, world):
    ward = factories.commune(world.province, 24700, "Phường Tân Lập")
    committee = factories.agency(
        world.agencies["UBND"],
        "000.00.47.H66",
        "UBND phường Tân Lập",
        "UBND Tân Lập",
        level="commune",
        commune=ward,
    )
    user = factories.official("ioc_xa", roles=[(Role.IOC_VIEWER, committee)])
    factories.sign_in(client, user)
    body = client.get(URL, {"unit": "24700", "period": "2026-11"}).json()
    assert body["unit"] == {"kind": "commune", "code": "24700", "name": "Phường Tân Lập"}
    two_one = indicators(body)["2.1"]
    assert (two_one["numerator"], two_one["denominator"], two_one["rate"]) == (0, 0, None)
    assert (two_one["points"], two_one["available"]) == (None, True)
    assert body["points"] == 0.0
    # the commune's viewer does not see the department next door
    assert client.get(URL, {"unit": "000.00.03.H66", "period": "2026-11"}).status_code == 404


@pytest.mark.django_db
def test_a_province_s_own_maxima_change_the_points(world, settings):
    settings.IOC_766_MAXIMA = {"2.1": 10, "2.2": 10}
    report = queries.unit_index(queries.resolve_unit("000.00.03.H66"), parse("2026-11"))
    two_one = indicators(report.as_dict())["2.1"]
    # 57.14 × 10 ÷ 100 = 5.714 → 5.71
    assert (two_one["points"], two_one["maximum"]) == (5.71, 10.0)
    settings.IOC_766_MAXIMA = {"2.1": 10}  # TDGQ would add up to 16, not 20
    with pytest.raises(ValueError, match="TDGQ"):
        queries.unit_index(queries.resolve_unit("000.00.03.H66"), parse("2026-11"))


@pytest.mark.django_db
def test_the_reasons_shown_are_plain_vietnamese_without_field_names(world):
    report = queries.unit_index(queries.resolve_unit("000.00.03.H66"), parse("2026-11"))
    reasons = {
        i.code: i.unavailable for g in report.index.groups for i in g.indicators if i.unavailable
    }
    assert reasons["4.3"] == (
        "Hệ thống đã ghi giấy tờ được dùng lại theo từng hồ sơ, nhưng chưa đưa vào cách tính "
        "chỉ số này."
    )
    assert (
        reasons["5.1"]
        == reasons["5.3"]
        == (
            "Hệ thống mới nhận phản ánh về hiện trường, chưa nhận phản ánh, kiến nghị về thủ tục "
            "hành chính nên chưa có số liệu."
        )
    )
    for text in reasons.values():
        for jargon in ("tinhso", "DuocTaiSuDung", "DuocLayTuKhoDMQG", "PAKN", "TTHC", "sync"):
            assert jargon not in text
