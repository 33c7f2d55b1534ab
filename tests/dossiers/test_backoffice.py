"""Reception and processing on a real database, with the legal clock at exact times."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.http import Http404

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import actions, queries
from tinhso.dossiers.models import Dossier, RouteStep, StepRecord
from tinhso.people.models import Role

from . import support
from .backoffice import official, ready_draft, state_of_the_world


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VIETNAM)  # type: ignore[misc]


def frozen(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def submitted_at(office, moment: datetime) -> Dossier:
    with frozen(moment):
        return actions.submit(ready_draft(office.version, office.citizen), user=office.citizen)


def five_days(office) -> None:
    office.version.processing_days = Decimal(5)
    office.version.save()


def test_reception_at_1530_on_a_friday_counts_from_monday(office):
    five_days(office)
    dossier = submitted_at(office, at(2026, 3, 6, 14, 0))
    with frozen(at(2026, 3, 6, 15, 30)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    assert dossier.state == "received"
    assert dossier.received_at == at(2026, 3, 6, 15, 30)
    assert dossier.clock_start_at == at(2026, 3, 9, 7, 30)
    assert dossier.appointment_at == at(2026, 3, 13, 17, 0)
    assert dossier.reception_agency == office.agencies["centre"]
    # routed to the competent agency, not to the desk that received it (Decree 118/2025)
    assert dossier.agency == office.agencies["STP"]
    assert dossier.current_agency == office.agencies["STP"]
    assert dossier.current_step.name == "Thẩm định hồ sơ"
    # first step: 70 % of 40 h = 28 h from Monday 07:30 = Thursday 11:30
    assert dossier.step_due_at == dossier.due_at == at(2026, 3, 12, 11, 30)
    record = StepRecord.objects.get(dossier=dossier)
    assert (record.agency, record.due_at, record.outcome) == (
        office.agencies["STP"],
        at(2026, 3, 12, 11, 30),
        "open",
    )
    # the e-mail (the citizen may also have chosen SMS or Zalo: core.notify routes those)
    message = next(
        m.payload
        for m in OutboxMessage.objects.filter(topic="notify").order_by("-pk")
        if m.payload["to"] == "an.nguyen@example.com"
    )
    assert message["subject"] == f"Đã tiếp nhận hồ sơ {dossier.code}"
    assert "Ngày hẹn trả kết quả: 17:00 ngày 13/03/2026." in message["body"]
    assert AuditRecord.objects.filter(action="dossier.received").count() == 1


def test_received_before_tet_2026(office):
    five_days(office)
    dossier = submitted_at(office, at(2026, 2, 12, 8, 0))
    with frozen(at(2026, 2, 12, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    assert dossier.appointment_at == at(2026, 2, 26, 9, 0)


def test_two_pauses_in_processing_move_the_clock_and_count_as_late(office):
    five_days(office)
    dossier = submitted_at(office, at(2026, 3, 2, 8, 0))
    with frozen(at(2026, 3, 2, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    assert dossier.appointment_at == at(2026, 3, 9, 9, 0)
    assert dossier.step_due_at == at(2026, 3, 5, 14, 30)  # 28 h
    for asked, answered in [
        (at(2026, 3, 3, 10, 0), at(2026, 3, 4, 10, 0)),
        (at(2026, 3, 5, 14, 0), at(2026, 3, 5, 16, 0)),
    ]:
        with frozen(asked):
            actions.request_supplement(
                dossier, reason="Bổ sung", fields=[], component_ids=[], officer=office.chuyenvien
            )
        dossier.refresh_from_db()
        assert dossier.state == "supplement_requested"
        with frozen(answered):
            actions.answer_supplement(dossier, {}, "Đã giải trình", user=office.citizen)
        dossier.refresh_from_db()
        assert dossier.state == "received"
    assert dossier.appointment_at == at(2026, 3, 10, 11, 0)
    assert dossier.step_due_at == at(2026, 3, 6, 16, 30)  # the step's due moved by 10 h too
    with frozen(at(2026, 3, 6, 9, 0)):
        actions.forward(dossier, officer=office.chuyenvien)
    with frozen(at(2026, 3, 6, 10, 0)):
        actions.approve(dossier, officer=office.lanhdao)
    report = queries.timeliness(Dossier.objects.get(pk=dossier.pk))
    assert report.supplements == 2
    assert report.overall == "late"  # finished early, but asked twice: late (national rule)
    assert [(r.name, r.verdict) for r in report.steps] == [
        ("Thẩm định hồ sơ", "on_time"),  # due Fri 16:30 after the pauses, done Fri 09:00
        ("Phê duyệt", "early"),  # 12 h from Fri 09:00: due Mon 14:30
    ]


def test_inter_agency_route_second_agency_late_apologises(office):
    five_days(office)
    building = office.agencies["SXD"]
    RouteStep.objects.filter(route=office.route).delete()
    for position, (name, agency, role, share) in enumerate(
        [
            ("Thẩm định", None, Role.SPECIALIST, 60),
            ("Lấy ý kiến Sở Xây dựng", building, Role.SPECIALIST, 20),
            ("Phê duyệt", None, Role.LEADER, 20),
        ],
        start=1,
    ):
        RouteStep.objects.create(
            route=office.route,
            position=position,
            name=name,
            agency=agency,
            role=role,
            share_percent=Decimal(share),
        )
    sxd_specialist = official("chuyenvien.sxd", "Nguyễn Thị Mai", (Role.SPECIALIST, building))
    sxd_head = official("truongphong.sxd", "Bùi Văn Nam", (Role.HEAD_OF_UNIT, building))
    dossier = submitted_at(office, at(2026, 3, 2, 8, 0))
    with frozen(at(2026, 3, 2, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    with frozen(at(2026, 3, 4, 15, 0)):
        dossier = actions.forward(dossier, officer=office.chuyenvien)
    assert dossier.current_agency == building
    # cumulative: 60 % + 20 % of 40 h = 32 h from the clock start (Monday 09:00)
    assert dossier.step_due_at == at(2026, 3, 6, 9, 0)
    # now Building may see it; before the hand-off the outsider (a Building official) could not
    assert queries.access_dossier_for_official(sxd_specialist, dossier.code).pk == dossier.pk
    now = at(2026, 3, 6, 10, 0)
    with frozen(now):
        assert queries.apology_due(dossier, now) == building
        # the justice department is not at fault: it may not apologise for Building
        before = state_of_the_world(dossier)
        with pytest.raises(actions.NotAllowed):
            actions.extend(
                dossier,
                officer=office.truongphong,
                reason="Chậm",
                new_appointment=at(2026, 3, 12, 9, 0),
            )
        assert state_of_the_world(dossier) == before
        apology = actions.extend(
            dossier,
            officer=sxd_head,
            reason="Chờ kết quả khảo sát hiện trạng công trình",
            new_appointment=at(2026, 3, 12, 9, 0),
        )
    assert apology.agency == building
    assert apology.previous_appointment == at(2026, 3, 9, 9, 0)
    assert actions.current_appointment(dossier) == at(2026, 3, 12, 9, 0)
    note = OutboxMessage.objects.filter(topic="notify").latest("pk").payload
    assert note["subject"] == f"Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier.code}"
    assert "Sở Xây dựng tỉnh Đắk Lắk xin lỗi" in note["body"]
    assert "09:00 ngày 12/03/2026" in note["body"]
    with frozen(at(2026, 3, 10, 9, 0)):
        actions.forward(dossier, officer=sxd_specialist)
    with frozen(at(2026, 3, 10, 14, 0)):
        actions.approve(dossier, officer=office.lanhdao)
    report = queries.timeliness(Dossier.objects.get(pk=dossier.pk))
    assert [(r.agency, r.verdict) for r in report.steps] == [
        ("000.00.03.H66", "early"),
        ("000.00.05.H66", "late"),
        ("000.00.03.H66", "early"),  # 8 h from Tue 09:00: due Wed 09:00
    ]
    assert report.overall == "late"  # the apology does not make a late dossier on time
    assert report.at_fault == "000.00.05.H66"


def test_apology_after_the_appointment_is_refused(office):
    five_days(office)
    dossier = submitted_at(office, at(2026, 3, 2, 8, 0))
    with frozen(at(2026, 3, 2, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    before = state_of_the_world(dossier)
    with frozen(at(2026, 3, 9, 9, 1)), pytest.raises(actions.DossierError) as refused:
        actions.extend(
            dossier, officer=office.truongphong, reason="Chậm", new_appointment=at(2026, 3, 20)
        )
    assert refused.value.errors == {
        "__all__": "Hồ sơ đã quá hạn: phiếu xin lỗi phải gửi trước ngày hẹn."
    }
    assert state_of_the_world(dossier) == before


def test_supplement_request_lists_each_component_and_reason(office):
    dossier = office.submitted()
    tk = office.version.components.get(code="TK")
    cccd = office.version.components.get(code="CCCD")
    request = actions.request_supplement(
        dossier,
        reason="Hồ sơ chưa đầy đủ",
        fields=[],
        component_ids=[],
        officer=office.tiepnhan,
        items=[
            actions.MissingItem(tk.pk, "Thiếu chữ ký người yêu cầu"),
            actions.MissingItem(cccd.pk, "Bản chụp bị mờ, không đọc được số"),
        ],
    )
    assert request.items == [
        {"component": tk.pk, "name": tk.name, "reason": "Thiếu chữ ký người yêu cầu"},
        {"component": cccd.pk, "name": cccd.name, "reason": "Bản chụp bị mờ, không đọc được số"},
    ]
    assert set(request.components.values_list("pk", flat=True)) == {tk.pk, cccd.pk}
    assert request.during_processing is False and request.requested_by == office.tiepnhan


def test_counter_intake_marks_digitisation_and_routes_to_the_competent_agency(office):
    tk = office.version.components.get(code="TK")
    cccd = office.version.components.get(code="CCCD")
    with frozen(at(2026, 3, 2, 9, 0)):
        dossier = actions.intake(
            office.version,
            officer=office.tiepnhan,
            channel="counter",
            personal_id="066195000999",
            full_name="Trần Thị Thu Hương",
            phone="0905123456",
            form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
            components=[
                actions.PaperComponent(tk.pk, "to-khai.pdf", support.pdf_bytes("tk"), True),
                actions.PaperComponent(cccd.pk, "cccd.jpg", support.jpeg_bytes(), False),
            ],
            delivery="counter",
        )
    assert dossier.code == "000.00.03.H66-260302-0001"
    assert dossier.channel == "counter" and dossier.state == "received"
    assert dossier.agency == office.agencies["STP"]
    assert dossier.reception_agency == office.agencies["centre"]
    assert dossier.owner.citizen.personal_id == "066195000999"
    assert sorted(dossier.files.values_list("original_name", "digitised")) == [
        ("cccd.jpg", False),
        ("to-khai.pdf", True),
    ]
    assert dossier.appointment_at == at(2026, 3, 16, 9, 0)  # 10 working days


def test_counter_intake_with_missing_component_stores_nothing(office):
    before = (Dossier.objects.count(), AuditRecord.objects.count())
    with pytest.raises(actions.DossierError) as refused:
        actions.intake(
            office.version,
            officer=office.tiepnhan,
            channel="post",
            personal_id="066195000999",
            full_name="Trần Thị Thu Hương",
            form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
            components=[],
            delivery="post",
            delivery_address="12 Lê Duẩn, Buôn Ma Thuột",
        )
    tk = office.version.components.get(code="TK")
    assert refused.value.errors == {
        f"component-{tk.pk}": "Thiếu “Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp”."
    }
    assert (Dossier.objects.count(), AuditRecord.objects.count()) == before


def test_postal_intake_by_an_outsider_is_refused(office):
    tk = office.version.components.get(code="TK")
    before = (Dossier.objects.count(), AuditRecord.objects.count())
    with pytest.raises(actions.NotAllowed):
        actions.intake(
            office.version,
            officer=office.outsider,
            channel="post",
            personal_id="066195000999",
            full_name="Trần Thị Thu Hương",
            form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
            components=[actions.PaperComponent(tk.pk, "tk.pdf", support.pdf_bytes(), True)],
            delivery="post",
            delivery_address="12 Lê Duẩn, Buôn Ma Thuột",
        )
    assert (Dossier.objects.count(), AuditRecord.objects.count()) == before


def test_full_journey_with_return_to_step_assignment_and_result(office):
    dossier = office.received()
    actions.assign(dossier, officer=office.truongphong, to=office.chuyenvien)
    dossier.refresh_from_db()
    assert dossier.assignee == office.chuyenvien
    other = official("chuyenvien2", "Ngô Thị Lan", (Role.SPECIALIST, office.agencies["STP"]))
    with pytest.raises(actions.NotAllowed):
        actions.forward(dossier, officer=other)  # assigned to someone else
    actions.forward(dossier, officer=office.chuyenvien)
    actions.return_to_step(dossier, officer=office.lanhdao, position=1, reason="Kiểm tra lại")
    dossier.refresh_from_db()
    assert dossier.current_step.position == 1 and dossier.assignee is None
    actions.forward(dossier, officer=office.chuyenvien)
    actions.approve(dossier, officer=office.lanhdao)
    with pytest.raises(actions.DossierError) as refused:
        actions.mark_ready(dossier, officer=office.vanthu)
    assert refused.value.errors == {"__all__": "Chưa đính kèm kết quả giải quyết."}
    actions.attach_result(
        dossier, "Phiếu lý lịch tư pháp số 12", support.pdf_bytes(), officer=office.vanthu
    )
    actions.mark_ready(dossier, officer=office.vanthu)
    actions.return_result(dossier, officer=office.tiepnhan, how="online")
    dossier.refresh_from_db()
    assert dossier.state == "returned"
    assert list(StepRecord.objects.filter(dossier=dossier).values_list("name", "outcome")) == [
        ("Thẩm định hồ sơ", "forwarded"),
        ("Phê duyệt", "returned"),
        ("Thẩm định hồ sơ", "forwarded"),
        ("Phê duyệt", "finished"),
    ]


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_receptions_get_fifty_consecutive_codes(agencies, version, citizen):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    from .backoffice import Office

    office = Office.build(agencies, version, citizen)
    tk = version.components.get(code="TK")
    codes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def receive(i: int) -> None:
        try:
            start.wait()
            dossier = actions.intake(
                version,
                officer=office.tiepnhan,
                channel="counter",
                personal_id=f"0661950{i:05d}",
                full_name=f"Người nộp số {i}",
                form={"ho_ten": f"Người nộp số {i}", "ngay_sinh": "1995-03-08"},
                components=[actions.PaperComponent(tk.pk, "tk.pdf", support.pdf_bytes(), True)],
                delivery="counter",
            )
            codes.append(dossier.code or "")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(codes)) == 50
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 51))


def test_parallel_opinions_hold_the_step_until_every_agency_answers(office):
    committee, building = office.agencies["UBND"], office.agencies["SXD"]
    ubnd_specialist = official("chuyenvien.ubnd", "Đinh Văn Tâm", (Role.SPECIALIST, committee))
    dossier = office.received()
    with pytest.raises(Http404):  # the outsider may not see it yet
        queries.access_dossier_for_official(office.outsider, dossier.code)
    asked = actions.request_opinions(
        dossier,
        officer=office.chuyenvien,
        agencies=[building, committee],
        question="Đề nghị cho ý kiến về hồ sơ",
    )
    assert [o.agency for o in asked] == [building, committee]
    assert all(o.due_at == dossier.step_due_at for o in asked)
    assert queries.access_dossier_for_official(office.outsider, dossier.code).pk == dossier.pk
    before = state_of_the_world(dossier)
    with pytest.raises(actions.DossierError) as refused:
        actions.forward(dossier, officer=office.chuyenvien)
    assert refused.value.errors == {
        "__all__": "Còn chờ ý kiến của: Sở Xây dựng tỉnh Đắk Lắk, Ủy ban nhân dân tỉnh Đắk Lắk."
    }
    with pytest.raises(actions.NotAllowed):  # the justice department was not asked
        actions.give_opinion(dossier, officer=office.chuyenvien, answer="Đồng ý")
    assert state_of_the_world(dossier) == before
    actions.give_opinion(dossier, officer=office.outsider, answer="Thống nhất")
    with pytest.raises(actions.DossierError):
        actions.forward(dossier, officer=office.chuyenvien)
    actions.give_opinion(dossier, officer=ubnd_specialist, answer="Đồng ý, đề nghị trình ký")
    actions.forward(dossier, officer=office.chuyenvien)
    dossier.refresh_from_db()
    assert dossier.current_step.name == "Phê duyệt"
    assert list(dossier.opinions.values_list("agency__short_name", "answer")) == [
        ("SXD", "Thống nhất"),
        ("UBND", "Đồng ý, đề nghị trình ký"),
    ]


def test_the_agency_at_fault_is_reminded_once_to_apologise_before_the_dossier_is_late(office):
    five_days(office)
    building = office.agencies["SXD"]
    RouteStep.objects.filter(route=office.route).delete()
    for position, (name, agency, role, share) in enumerate(
        [
            ("Thẩm định", None, Role.SPECIALIST, 60),
            ("Lấy ý kiến Sở Xây dựng", building, Role.SPECIALIST, 20),
            ("Phê duyệt", None, Role.LEADER, 20),
        ],
        start=1,
    ):
        RouteStep.objects.create(
            route=office.route,
            position=position,
            name=name,
            agency=agency,
            role=role,
            share_percent=Decimal(share),
        )
    sxd_head = official("truongphong.sxd", "Bùi Văn Nam", (Role.HEAD_OF_UNIT, building))
    dossier = submitted_at(office, at(2026, 3, 2, 8, 0))
    with frozen(at(2026, 3, 2, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    with frozen(at(2026, 3, 4, 15, 0)):
        dossier = actions.forward(dossier, officer=office.chuyenvien)

    # Wednesday: Building's step is not yet due, the appointment is days away: no reminder.
    assert actions.remind_apologies(at(2026, 3, 4, 16, 0)) == []

    # Friday: Building's step overran (due Fri 09:00); its head is asked, once.
    OutboxMessage.objects.all().delete()
    [reminder] = actions.remind_apologies(at(2026, 3, 6, 10, 0))
    assert (reminder.agency, reminder.appointment) == (building, at(2026, 3, 9, 9, 0))
    notes = [m.payload for m in OutboxMessage.objects.filter(topic="notify")]
    # Building's leaders and heads: its head, and the "outsider" who leads it in the fixture.
    assert sorted(n["to"] for n in notes) == [office.outsider.email, sxd_head.email]
    note = notes[0]
    assert note["subject"] == f"Cần xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier.code}"
    assert "Sở Xây dựng tỉnh Đắk Lắk" in note["body"]
    assert actions.remind_apologies(at(2026, 3, 6, 11, 0)) == []
    assert OutboxMessage.objects.filter(topic="notify").count() == 2
    assert AuditRecord.objects.filter(action="dossier.apology_requested").count() == 1

    # After the apology with a new appointment, nothing is asked until that one nears.
    with frozen(at(2026, 3, 6, 11, 0)):
        actions.extend(
            dossier,
            officer=sxd_head,
            reason="Chờ khảo sát hiện trạng",
            new_appointment=at(2026, 3, 12, 9, 0),
        )
    assert actions.remind_apologies(at(2026, 3, 10, 8, 0)) == []


def test_a_dossier_due_the_next_working_day_is_not_flagged_for_apology_at_reception(office):
    office.version.processing_days = Decimal(1)
    office.version.save()
    dossier = submitted_at(office, at(2026, 3, 4, 8, 30))  # Wednesday
    with frozen(at(2026, 3, 4, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    assert dossier.appointment_at == at(2026, 3, 5, 9, 0)
    assert queries.apology_due(dossier, at(2026, 3, 4, 9, 0)) is None
    assert queries.apology_due(dossier, at(2026, 3, 4, 15, 0)) is None
    # two working hours before the appointment the agency at fault is asked for it
    assert queries.apology_due(dossier, at(2026, 3, 5, 7, 30)) is not None


def test_a_step_never_finishes_before_it_started_when_received_on_a_saturday(office):
    """Regression: "started 07:30 07/12, finished 18:05 05/12": the step's start was the legal
    clock's (Monday 07:30) while its finish was real time. The tracking sheet keeps real
    moments; only the due time counts on the clock."""
    five_days(office)
    dossier = submitted_at(office, at(2026, 12, 5, 17, 0))  # Saturday
    with frozen(at(2026, 12, 5, 18, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    assert dossier.clock_start_at == at(2026, 12, 7, 7, 30)
    with frozen(at(2026, 12, 5, 18, 5)):
        dossier = actions.forward(dossier, officer=office.chuyenvien)
    first, second = StepRecord.objects.filter(dossier=dossier).order_by("pk")
    assert (first.started_at, first.finished_at) == (at(2026, 12, 5, 18, 0), at(2026, 12, 5, 18, 5))
    assert second.started_at == at(2026, 12, 5, 18, 5)
    for record in (first, second):
        assert record.started_at <= record.finished_at if record.finished_at else True
    # the due times still count from Monday 07:30: 70 % of 40 h = 28 h, then the rest
    assert first.due_at == at(2026, 12, 10, 11, 30)
    assert second.due_at == dossier.appointment_at == at(2026, 12, 11, 17, 0)
    report = queries.timeliness(Dossier.objects.get(pk=dossier.pk), at(2026, 12, 5, 18, 10))
    assert [row.verdict for row in report.steps] == ["early", None]


def test_step_deadlines_stay_cumulative_through_the_route(office):
    """Regression: step 2 due 11/12 while step 1 due 21/12 (an early hand-off gave the next
    step its own share from the hand-off). Every step's due time is the clock start plus the
    shares up to it, so they are in route order and the last is the appointment."""
    office.version.processing_days = Decimal(10)
    office.version.save()
    RouteStep.objects.filter(route=office.route).update(share_percent=Decimal(10))
    RouteStep.objects.filter(route=office.route, position=1).update(share_percent=Decimal(90))
    dossier = submitted_at(office, at(2026, 12, 7, 8, 0))
    with frozen(at(2026, 12, 7, 9, 0)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    with frozen(at(2026, 12, 9, 10, 0)):  # the first step finishes early
        dossier = actions.forward(dossier, officer=office.chuyenvien)
    dues = list(
        StepRecord.objects.filter(dossier=dossier).order_by("pk").values_list("due_at", flat=True)
    )
    assert dues == sorted(dues)
    assert dues[0] == at(2026, 12, 18, 9, 0)  # 90 % of 80 h = 72 h = 9 working days
    assert dues[-1] == dossier.appointment_at == at(2026, 12, 21, 9, 0)


def test_a_dossier_due_within_the_day_is_not_flagged_at_reception(office):
    """Regression: the "apologise and reschedule" warning showed right after reception of a
    dossier due the same or the next working day."""
    office.version.processing_days = None
    office.version.processing_hours = None  # "trong ngày"
    office.version.save()
    dossier = submitted_at(office, at(2026, 3, 4, 14, 0))
    with frozen(at(2026, 3, 4, 14, 55)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    assert dossier.appointment_at == at(2026, 3, 4, 17, 0)  # the end of that working day
    assert queries.apology_due(dossier, at(2026, 3, 4, 14, 56)) is None
    assert queries.apology_due(dossier, at(2026, 3, 4, 16, 0)) is None
    assert queries.apology_due(dossier, at(2026, 3, 4, 16, 30)) is not None
    assert actions.remind_apologies(at(2026, 3, 4, 14, 56)) == []


def test_the_system_result_on_a_received_dossier_ends_its_open_step(office):
    """Regression (the demo's returned dossier): `issue_result` finished a received dossier
    but left its step open, so the tracking sheet showed it "đang xử lý" after the result
    and, once its due time passed, late."""
    dossier = submitted_at(office, at(2026, 3, 2, 9, 0))
    with frozen(at(2026, 3, 2, 9, 30)):
        dossier = actions.receive(dossier, officer=office.tiepnhan)
    with frozen(at(2026, 3, 3, 10, 0)):
        actions.issue_result(dossier, "Kết quả", support.pdf_bytes("kq"), officer=None)
    dossier.refresh_from_db()
    assert dossier.state == "result_ready" and dossier.finished_at == at(2026, 3, 3, 10, 0)
    steps = list(StepRecord.objects.filter(dossier=dossier).values_list("outcome", "finished_at"))
    assert steps == [("finished", at(2026, 3, 3, 10, 0))]
