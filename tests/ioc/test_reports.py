"""The periodic reports (issue 16) on the hand-counted province of test_index_api: the
figures counted by hand and equal to the IOC pages' own functions, the XLSX read back, the
PDF's Vietnamese text, the action (files, hashes, audit, notifications in the outbox), the
schedule, the command, and who may download what.

STP, November 2026 (see test_index_api's table):
    received 7: online 4 (D1, D3, D6 web; D4 api), counter 3 (D2, D5, D7)
    carried over 1: D9 (received 31 Oct, still open)                      → total 8
    finished 5: early D1; on time D3, D5 (refused the day it was due); late D2, D4
    in progress at 1 Dec 00:00: D6 (due 3 Dec) within; D7 (16 Nov), D9 (6 Nov) past
    supplement requested D3, D4; refused D5; withdrawn D8 (submitted 10 Nov)
    paid online D1 (VNPay), D4 (PayGov); electronic result D1, D2, D4
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from tests import factories
from tests.ioc.test_index_api import viewer
from tinhso.core import outbox
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.core.periodic import JOBS
from tinhso.core.periods import parse
from tinhso.ioc import dashboard, queries, reports, reports_render
from tinhso.ioc import errors as ioc_errors
from tinhso.ioc.models import PeriodicReport
from tinhso.people.models import Role

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
STP = "000.00.03.H66"
NOVEMBER = parse("2026-11")
AFTER = datetime(2026, 12, 1, 8, 0, tzinfo=HCM)  # the day the November report is due
ARCHIVE = "/dieu-hanh/bao-cao/"

STP_NOVEMBER = {
    "total": 8,
    "carried": 1,
    "received": 7,
    "online": 4,
    "national": 0,
    "counter": 3,
    "post": 0,
    "finished": 5,
    "finished_early": 1,
    "finished_on_time": 2,
    "finished_late": 2,
    "in_progress": 3,
    "in_progress_within": 1,
    "in_progress_past": 2,
    "supplement_requested": 2,
    "refused": 1,
    "withdrawn": 1,
    "rejected": 0,
    "paid_online": 2,
    "digitised": 0,
    "reused": 0,
    "e_result": 3,
}


def stp():
    return queries.resolve_unit(STP)


@pytest.mark.django_db
def test_the_figures_are_the_hand_counts_and_the_pages_figures(world):
    content = reports.build(stp(), NOVEMBER, now=AFTER)
    assert content.total.values == STP_NOVEMBER
    assert not content.provisional
    # the same functions as the overview and the 766 table give the same numbers
    glance = dashboard.glance(stp(), NOVEMBER.start, NOVEMBER.end)
    index = {i.code: i for g in queries.unit_index(stp(), NOVEMBER, now=AFTER).index.groups
             for i in g.indicators}  # fmt: skip
    values = content.total.values
    assert values["received"] == glance.received == index["2.1"].denominator
    assert values["finished"] == glance.finished
    assert values["finished_late"] == glance.finished_late
    assert values["online"] == index["3.3"].numerator
    assert values["paid_online"] == glance.paid_online
    assert content.index.index.points == queries.unit_index(stp(), NOVEMBER, now=AFTER).index.points
    # and the drill-down lists exactly the counted dossiers
    for key, measure in (("received", "received"), ("finished", "finished"),
                         ("finished_late", "late"), ("online", "online")):  # fmt: skip
        listed = dashboard.behind(stp(), measure, NOVEMBER.start, NOVEMBER.end, AFTER).count()
        assert listed == values[key], key
        assert content.total.links[key].endswith(f"unit={STP}&period=2026-11&measure={measure}")
    # everything carried in or received is either finished or still open at the end
    assert values["total"] == values["finished"] + values["in_progress"]


@pytest.mark.django_db
def test_a_province_report_has_each_agency_and_their_sum(world):
    content = reports.build(queries.resolve_unit("66"), NOVEMBER, now=AFTER)
    rows = {r.code: r.values for r in content.agencies}
    assert set(rows) == {a.code for a in world.agencies.values()}
    assert rows[STP] == STP_NOVEMBER
    assert rows[world.agencies["SXD"].code]["finished_early"] == 1  # D10
    assert content.total.values["received"] == 8
    assert content.total.values["finished"] == 6


@pytest.mark.django_db
def test_a_month_not_over_is_provisional_and_its_overdue_is_the_overviews(world):
    now = datetime(2026, 11, 18, 10, 0, tzinfo=HCM)
    content = reports.build(stp(), NOVEMBER, now=now)
    assert content.provisional and content.judged_at == now
    overdue, _due_today = dashboard.overdue_and_due_today(stp(), now)
    assert content.total.values["in_progress_past"] == overdue
    assert "in_progress_past" in content.total.links  # the overdue list, a page of now


@pytest.mark.django_db
def test_a_year_or_a_period_not_begun_is_refused(world):
    with pytest.raises(ioc_errors.ReportError) as refused:
        reports.build(stp(), parse("2026"), now=AFTER)
    assert refused.value.code is ioc_errors.REPORT_PERIOD_KIND
    with pytest.raises(ioc_errors.ReportError) as refused:
        reports.build(stp(), parse("2027-01"), now=AFTER)
    assert refused.value.code is ioc_errors.REPORT_PERIOD_FUTURE


def sheet_rows(data: bytes, name: str) -> list[tuple]:
    book = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


@pytest.mark.django_db
def test_the_xlsx_reads_back_with_the_same_numbers(world):
    content = reports.build(queries.resolve_unit("66"), NOVEMBER, now=AFTER)
    data = reports_render.to_xlsx(content)
    rows = sheet_rows(data, "Tổng hợp")
    assert rows[0][0] == "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    headings = next(r for r in rows if r[2] is None and r[3] == "Tổng số")
    keys = [c.key for c in reports.COLUMNS]
    assert len(headings) >= 3 + len(keys)
    line = next(r for r in rows if r[2] == STP)
    assert dict(zip(keys, line[3:], strict=False)) == STP_NOVEMBER
    total = next(r for r in rows if r[2] == "66")
    assert total[1] == "Đắk Lắk" and total[3 + keys.index("received")] == 8
    # 766: the indicators as unit_index gives them
    index = queries.unit_index(queries.resolve_unit("66"), NOVEMBER, now=AFTER).index
    by_code = {r[1]: r for r in sheet_rows(data, "Chỉ số 766") if r[1]}
    for group in index.groups:
        for i in group.indicators:
            if i.unavailable:
                assert by_code[i.code][8].startswith("Chưa có dữ liệu")
            else:
                assert by_code[i.code][2:5] == (
                    i.numerator,
                    i.denominator,
                    None if i.rate is None else float(i.rate),
                )
    # the link behind the late figure
    book = load_workbook(io.BytesIO(data))
    late_cell = next(
        row[3 + keys.index("finished_late")]
        for row in book["Tổng hợp"].iter_rows()
        if row[2].value == STP
    )
    assert late_cell.hyperlink.target.endswith(f"unit={STP}&period=2026-11&measure=late")


@pytest.mark.django_db
def test_the_pdf_says_it_in_vietnamese_with_its_diacritics(world):
    data = reports_render.to_pdf(reports.build(stp(), NOVEMBER, now=AFTER))
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "Sở Tư pháp tỉnh Đắk Lắk" in text
    assert "Tháng 11 năm 2026" in text
    assert "Bộ chỉ số phục vụ người dân, doanh nghiệp" in text
    assert "measure=late" in text  # the page behind the late figure, written out
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("DejaVu" in name for name in fonts), fonts


def leader(world, where="STP", name="lanhdao.stp"):
    return factories.official(name, roles=[(Role.LEADER, world.agencies[where])])


@pytest.mark.django_db
def test_generate_stores_both_files_with_their_hashes_audits_and_tells_the_leaders(world):
    leader(world)
    leader(world, "SXD", "lanhdao.sxd")
    made = reports.generate(
        stp(), NOVEMBER, trigger=PeriodicReport.Trigger.COMMAND, now=AFTER, notify_leaders=True
    )
    for kind in ("xlsx", "pdf"):
        data = getattr(made, kind).read()
        assert hashlib.sha256(data).hexdigest() == getattr(made, f"{kind}_sha256")
        assert len(data) == getattr(made, f"{kind}_size")
    assert made.figures["total"] == STP_NOVEMBER
    record = AuditRecord.objects.get(action="ioc.report.generate")
    assert record.object_id == str(made.pk)
    assert record.changes["pdf_sha256"] == made.pdf_sha256
    notes = OutboxMessage.objects.filter(topic="notify")
    assert [n.payload["to"] for n in notes] == ["lanhdao.stp@example.com"]
    assert "Tháng 11 năm 2026" in notes[0].payload["body"]
    assert "/dieu-hanh/bao-cao/" in notes[0].payload["body"]


@pytest.mark.django_db
def test_a_failure_in_the_transaction_leaves_no_row_and_no_file(world, monkeypatch, media_in_tmp):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(reports.audit, "record", broken)
    with pytest.raises(RuntimeError):
        reports.generate(stp(), NOVEMBER, trigger=PeriodicReport.Trigger.COMMAND, now=AFTER)
    assert not PeriodicReport.objects.exists()
    assert [p for p in media_in_tmp.rglob("*") if p.is_file()] == []


def test_the_schedule_is_day_one_for_the_month_and_the_quarters_first_day():
    assert reports.due_periods(date(2026, 12, 1)) == [parse("2026-11")]
    assert reports.due_periods(date(2026, 12, 3)) == [parse("2026-11")]  # catching up
    assert reports.due_periods(date(2026, 12, 4)) == []
    assert reports.due_periods(date(2027, 1, 1)) == [parse("2026-12"), parse("2026-Q4")]
    assert reports.due_periods(date(2026, 10, 1)) == [parse("2026-09"), parse("2026-Q3")]
    assert JOBS["ioc.reports"].every_seconds == 3600


def first_of_this_month():
    """8:00 on day 1 of the current month: the schedule's day for the month before, a period
    over whatever the machine's clock says (the outbox delivers at the real time)."""
    return timezone.localtime().replace(day=1, hour=8, minute=0, second=0, microsecond=0)


def count_renders(monkeypatch) -> list[str]:
    """The units whose PDF is rendered, in order (the real renderer still runs)."""
    rendered: list[str] = []
    real = reports_render.to_pdf

    def counting(content):
        rendered.append(content.unit.code)
        return real(content)

    monkeypatch.setattr(reports_render, "to_pdf", counting)
    return rendered


def deliver_all(*workers: str) -> None:
    """The outbox's workers, taking one message a sweep in turn until none is due."""
    while sum(outbox.run_once(w, limit=1) for w in workers):
        pass


@pytest.mark.django_db
def test_two_workers_schedule_queue_each_report_once_and_the_schedule_renders_nothing(
    world, settings, monkeypatch, media_in_tmp
):
    settings.IOC_REPORT_SPACING_SECONDS = 0
    leader(world)
    rendered = count_renders(monkeypatch)
    now = first_of_this_month()
    due = reports.due_periods(now.date())
    units = sorted(["66", *(a.code for a in world.agencies.values())])

    queued = reports.run_schedule(now=now)  # worker A's hourly job
    again = reports.run_schedule(now=now)  # worker B's, the same hour
    assert again == []
    assert rendered == [] and not PeriodicReport.objects.exists()  # queueing renders nothing
    wanted = sorted((u, str(p)) for p in due for u in units)
    got = sorted((m.payload["unit"], m.payload["period"]) for m in queued)
    assert got == wanted
    assert OutboxMessage.objects.filter(topic=reports.TOPIC).count() == len(wanted)

    deliver_all("worker-a", "worker-b")
    assert sorted(rendered) == sorted(u for u, _p in wanted)  # each report rendered once
    made = PeriodicReport.objects.all()
    assert sorted((r.unit_code, r.period) for r in made) == wanted
    assert {r.trigger for r in made} == {"schedule"} and not any(r.provisional for r in made)
    assert set(OutboxMessage.objects.filter(topic=reports.TOPIC).values_list("state", flat=True)) \
        == {OutboxMessage.State.DELIVERED}  # fmt: skip
    # the one leader (STP's) heard of STP's report of each period, once (delivered, so the
    # address is erased from the message)
    assert OutboxMessage.objects.filter(topic="notify").count() == len(due)
    # the next hours, any worker: nothing queued, nothing made
    assert reports.run_schedule(now=now + timedelta(hours=1)) == []
    assert reports.run_schedule(now=now + timedelta(days=1)) == []
    deliver_all("worker-a")
    assert PeriodicReport.objects.count() == len(wanted) and len(rendered) == len(wanted)
    assert reports.run_schedule(now=now + timedelta(days=5)) == []  # past the catch-up days


@pytest.mark.django_db
def test_the_queued_reports_come_due_apart_so_other_messages_go_between(world, settings):
    settings.IOC_REPORT_SPACING_SECONDS = 20
    queued = reports.run_schedule(now=first_of_this_month())
    assert len(queued) >= 4
    start = queued[0].available_at
    offsets = [round((m.available_at - start).total_seconds()) for m in queued]
    assert offsets == [20 * n for n in range(len(queued))]
    # a sweep now takes the first report only
    assert [m.topic for m in outbox.claim("w", limit=50)] == [reports.TOPIC]


@pytest.mark.django_db
def test_a_report_already_made_is_not_queued_nor_rendered_again(
    world, settings, monkeypatch, media_in_tmp
):
    settings.IOC_REPORT_SPACING_SECONDS = 0
    now = first_of_this_month()
    period = reports.due_periods(now.date())[0]
    stp_made = reports.make_scheduled(STP, str(period))  # e.g. by the earlier code, day 1
    rendered = count_renders(monkeypatch)
    queued = reports.run_schedule(now=now)
    assert STP not in {m.payload["unit"] for m in queued if m.payload["period"] == str(period)}
    # a message delivered twice (a lease run out): the second delivery renders nothing
    assert reports.make_scheduled(STP, str(period)) == stp_made
    assert rendered == []


@pytest.mark.django_db
def test_a_queued_report_of_a_unit_gone_is_parked_not_retried(world):
    message = outbox.enqueue(reports.TOPIC, {"unit": "999.99.99.H66", "period": "2026-11"})
    deliver_all("w")
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PARKED and "UnitNotFound" in message.last_error
    assert not PeriodicReport.objects.exists()


@pytest.mark.django_db
def test_the_command_makes_stores_and_writes_the_file(world, tmp_path):
    target = tmp_path / "t11.xlsx"
    out = io.StringIO()
    call_command(
        "ioc", "report", "--period", "2026-11", "--unit", STP, "--format", "xlsx",
        "--output", str(target), stdout=out,
    )  # fmt: skip
    made = PeriodicReport.objects.get()
    assert made.trigger == "command" and made.unit_code == STP
    assert hashlib.sha256(target.read_bytes()).hexdigest() == made.xlsx_sha256
    assert "Đã lập báo cáo Sở Tư pháp tỉnh Đắk Lắk" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("ioc", "report", "--period", "2026-13", "--unit", STP)
    with pytest.raises(CommandError):
        call_command("ioc", "report", "--period", "2026", "--unit", STP)
    with pytest.raises(CommandError):
        call_command("ioc", "report", "--period", "2026-11", "--format", "pdf")
    assert PeriodicReport.objects.count() == 1


def made_for(code):
    unit = queries.resolve_unit(code)
    return reports.generate(unit, NOVEMBER, trigger=PeriodicReport.Trigger.COMMAND, now=AFTER)


@pytest.mark.django_db
def test_a_leader_downloads_their_agencys_reports_and_nothing_beyond(client, world):
    mine, other, province = made_for(STP), made_for(world.agencies["SXD"].code), made_for("66")
    viewer(client, world, role=Role.LEADER)
    page = client.get(ARCHIVE)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/dieu-hanh/bao-cao/{mine.pk}.xlsx" in html
    assert f"/dieu-hanh/bao-cao/{other.pk}." not in html
    assert f"/dieu-hanh/bao-cao/{province.pk}." not in html
    got = client.get(f"/dieu-hanh/bao-cao/{mine.pk}.xlsx")
    assert got.status_code == 200 and got["Content-Type"].startswith("application/vnd.openxml")
    assert hashlib.sha256(got.content).hexdigest() == mine.xlsx_sha256
    assert 'filename="bao-cao-tthc-000-00-03-H66-2026-11.xlsx"' in got["Content-Disposition"]
    pdf = client.get(f"/dieu-hanh/bao-cao/{mine.pk}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for pk in (other.pk, province.pk, 999999):
        assert client.get(f"/dieu-hanh/bao-cao/{pk}.pdf").status_code == 404
    assert client.get(f"/dieu-hanh/bao-cao/{mine.pk}.docx").status_code == 404


@pytest.mark.django_db
def test_the_provinces_leader_sees_every_report(client, world):
    reports_made = [made_for(STP), made_for("66")]
    viewer(client, world, role=Role.LEADER, where="UBND", name="chutich")
    html = client.get(ARCHIVE).content.decode()
    for made in reports_made:
        assert f"/dieu-hanh/bao-cao/{made.pk}.pdf" in html
        assert client.get(f"/dieu-hanh/bao-cao/{made.pk}.pdf").status_code == 200


@pytest.mark.django_db
def test_a_citizen_and_a_specialist_are_refused_and_a_stranger_sent_to_sign_in(client, world):
    made = made_for(STP)
    assert client.get(ARCHIVE).status_code == 302
    assert client.get(f"/dieu-hanh/bao-cao/{made.pk}.pdf").status_code == 302
    factories.sign_in(client, world.citizen)
    assert client.get(ARCHIVE).status_code == 403
    assert client.get(f"/dieu-hanh/bao-cao/{made.pk}.pdf").status_code == 403
    assert client.post(ARCHIVE, {"unit": STP, "period": "2026-11"}).status_code == 403
    specialist = factories.official("cv", roles=[(Role.SPECIALIST, world.agencies["STP"])])
    factories.sign_in(client, specialist)
    assert client.get(f"/dieu-hanh/bao-cao/{made.pk}.xlsx").status_code == 403
    assert PeriodicReport.objects.count() == 1


@pytest.mark.django_db
def test_a_leader_makes_a_report_from_the_archive_page(client, world):
    viewer(client, world, role=Role.LEADER)
    answer = client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})
    assert answer.status_code == 302
    made = PeriodicReport.objects.get()
    assert made.trigger == "page" and made.generated_by.username == "ioc"
    assert answer["Location"] == f"{ARCHIVE}?bao-cao={made.pk}#bao-cao-moi"
    html = client.get(answer["Location"]).content.decode()
    assert "Đã lập báo cáo của Sở Tư pháp tỉnh Đắk Lắk, tháng 11/2026." in html
    assert f'href="/dieu-hanh/bao-cao/{made.pk}.xlsx"' in html
    assert AuditRecord.objects.filter(action="ioc.report.generate", actor__username="ioc").exists()


@pytest.mark.django_db
def test_bad_input_on_the_archive_page_is_a_vietnamese_message_and_writes_nothing(client, world):
    viewer(client, world, role=Role.LEADER)
    cases = (
        ({"unit": STP, "period": "2026-13"}, "Kỳ báo cáo không hợp lệ"),
        ({"unit": STP, "period": "2026"}, "theo tháng (2026-11) hoặc theo quý"),
        ({"unit": STP, "period": "2099-01"}, "Kỳ báo cáo chưa bắt đầu"),
        ({"unit": "66", "period": "2026-11"}, "Hãy chọn một đơn vị trong danh sách."),
        ({"unit": world.agencies["SXD"].code, "period": "2026-11"}, "Hãy chọn một đơn vị"),
        ({}, "Hãy chọn một đơn vị"),
    )
    for data, message in cases:
        answer = client.post(ARCHIVE, data)
        assert answer.status_code == 422, data
        assert message in answer.content.decode(), data
    assert not PeriodicReport.objects.exists()


@pytest.mark.django_db
def test_a_file_changed_after_it_was_made_is_refused(client, world):
    made = made_for(STP)
    storage = made.pdf.storage
    with storage.open(made.pdf.name, "wb") as handle:
        handle.write(b"%PDF-1.7 changed")
    viewer(client, world, role=Role.LEADER)
    assert client.get(f"/dieu-hanh/bao-cao/{made.pk}.pdf").status_code == 409


@pytest.mark.django_db
def test_a_double_click_on_the_archive_page_makes_one_report(client, world, monkeypatch):
    rendered = count_renders(monkeypatch)
    viewer(client, world, role=Role.LEADER)
    first = client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})
    second = client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})
    made = PeriodicReport.objects.get()
    assert rendered == [STP]
    assert first["Location"] == f"{ARCHIVE}?bao-cao={made.pk}#bao-cao-moi"
    assert second["Location"] == f"{ARCHIVE}?bao-cao={made.pk}&dung-lai=1#bao-cao-moi"
    html = client.get(second["Location"]).content.decode()
    made_at = timezone.localtime(made.generated_at).strftime("%H:%M")
    assert (
        f"Đã lập báo cáo của Sở Tư pháp tỉnh Đắk Lắk, tháng 11/2026 lúc {made_at}, trong 5 phút "
        "vừa qua: dùng lại báo cáo này, không lập thêm bản mới." in html
    )
    assert f'href="/dieu-hanh/bao-cao/{made.pk}.pdf"' in html
    # another leader of the agency, a minute later: the same report, not a new one
    other = factories.official("lanhdao2", roles=[(Role.LEADER, world.agencies["STP"])])
    factories.sign_in(client, other)
    assert "dung-lai=1" in client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})["Location"]
    assert PeriodicReport.objects.count() == 1 and rendered == [STP]
    assert AuditRecord.objects.filter(action="ioc.report.generate").count() == 1
    # another period is another report; past the window, the same period is made again
    assert client.post(ARCHIVE, {"unit": STP, "period": "2026-Q4"}).status_code == 302
    PeriodicReport.objects.filter(pk=made.pk).update(
        generated_at=made.generated_at - timedelta(minutes=6)
    )
    again = client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})
    assert "dung-lai" not in again["Location"]
    assert PeriodicReport.objects.filter(period="2026-11").count() == 2
    assert rendered == [STP, STP, STP]


@pytest.mark.django_db
def test_a_request_while_the_same_report_is_being_made_waits_and_renders_nothing(
    client, world, monkeypatch
):
    """The double click's second request arrives while the first renders: it holds no claim,
    so it renders nothing and shows the first one's report, or says it is being made."""
    rendered = count_renders(monkeypatch)
    monkeypatch.setattr(reports, "PAGE_WAIT_SECONDS", 0.2)
    unit = stp()
    claim = reports._page_claim(unit, NOVEMBER)
    assert reports._claim(claim, timezone.now())  # the first request, rendering
    viewer(client, world, role=Role.LEADER)
    answer = client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})
    assert answer["Location"] == f"{ARCHIVE}?dang-lap=1#bao-cao-moi"
    assert rendered == [] and not PeriodicReport.objects.exists()
    html = client.get(answer["Location"]).content.decode()
    assert "Báo cáo này đang được lập theo một yêu cầu khác." in html
    # the first request's report appears while the second waits: the second shows it
    made = made_for(STP)
    PeriodicReport.objects.filter(pk=made.pk).update(trigger="page", generated_at=timezone.now())
    answer = client.post(ARCHIVE, {"unit": STP, "period": "2026-11"})
    assert answer["Location"] == f"{ARCHIVE}?bao-cao={made.pk}&dung-lai=1#bao-cao-moi"
    # a claim left by a process that died while rendering is taken over after the lease
    PeriodicReport.objects.all().delete()
    rendered.clear()
    later = timezone.now() + timedelta(seconds=reports.settings.OUTBOX_LEASE_SECONDS + 1)
    got, reused = reports.generate_on_page(unit, NOVEMBER, actor=None, now=later)
    assert got is not None and not reused and rendered == [STP]


@pytest.mark.django_db
def test_the_archive_in_english_names_the_province_and_how_a_report_was_made(client, world):
    made = made_for(STP)
    viewer(client, world, role=Role.LEADER, where="UBND", name="chutich")
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    html = client.get(ARCHIVE).content.decode()
    assert "Đắk Lắk (whole province)" in html and "toàn tỉnh" not in html
    assert "administrator&#x27;s command" in html
    assert made.get_trigger_display() == "lệnh quản trị"  # Vietnamese outside the request
    assert "Make the report" in html and "Report archive" in html


def test_the_ioc_english_catalogue_is_complete_and_compiled():
    from tests.web import test_english

    po = test_english.SRC / "ioc" / "locale" / "en" / "LC_MESSAGES" / "django.po"
    test_english.test_catalogue_is_complete(po)
    test_english.test_compiled_catalogue_matches_po(po)
    msgids = {e["msgid"] for e in test_english.read_po(po)[1:]}
    for text in ("%(province)s (toàn tỉnh)", "theo lịch", "lệnh quản trị",
                 "lãnh đạo tạo trên trang"):  # fmt: skip
        assert text in msgids


@pytest.mark.django_db
def test_every_header_cell_of_the_pdf_says_what_it_heads(world, monkeypatch):
    pages: list[str] = []
    real = reports_render.render_to_string

    def keep(*args, **kwargs):
        pages.append(real(*args, **kwargs))
        return pages[-1]

    monkeypatch.setattr(reports_render, "render_to_string", keep)
    reports_render.to_pdf(reports.build(queries.resolve_unit("66"), NOVEMBER, now=AFTER))
    (html,) = pages
    cells = re.findall(r"<th\b[^>]*>", html)
    assert len(cells) > 40
    assert [c for c in cells if not re.search(r'scope="(col|colgroup|row|rowgroup)"', c)] == []
    assert html.count('scope="colgroup"') == 4  # the column groups of each table's heading


def _links(made: PeriodicReport) -> tuple[set[str], str]:
    """The XLSX's hyperlink targets and the PDF's text."""
    made.xlsx.open("rb")
    book = load_workbook(io.BytesIO(made.xlsx.read()))
    made.xlsx.close()
    targets = {
        cell.hyperlink.target
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.hyperlink is not None and cell.hyperlink.target
    }
    made.pdf.open("rb")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(made.pdf.read())).pages)
    made.pdf.close()
    return targets, text


@pytest.mark.django_db
def test_a_report_made_on_a_page_links_to_that_page_s_host(client, world, settings):
    """From the page: the request's scheme and host; on schedule: the configured site."""
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["*"]
    viewer(client, world, role=Role.LEADER)
    answer = client.post(
        ARCHIVE, {"unit": STP, "period": "2026-11"}, HTTP_HOST="ioc.example.vn:8123"
    )
    assert answer.status_code == 302
    targets, text = _links(PeriodicReport.objects.get())
    assert targets and all(t.startswith("http://ioc.example.vn:8123/dieu-hanh/") for t in targets)
    assert "ioc.example.vn:8123" in text and "127.0.0.1" not in text
    PeriodicReport.objects.all().delete()
    scheduled = reports.generate(
        queries.resolve_unit(STP), parse("2026-11"), trigger=PeriodicReport.Trigger.SCHEDULE
    )
    targets, text = _links(scheduled)
    assert targets and all(t.startswith("http://127.0.0.1:8000/dieu-hanh/") for t in targets)
    assert "127.0.0.1:8000" in text


@pytest.mark.django_db
def test_no_table_row_of_the_pdf_is_split_across_pages_and_the_heading_repeats(world, monkeypatch):
    """Forty agencies with names long enough to wrap fill several pages: every row is whole
    on one page (not cut at the foot of one and ended at the head of the next), and each page
    holding a part of the table starts with the table's two heading rows."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from tinhso.core.fonts import font_configuration

    content = reports.build(queries.resolve_unit("66"), NOVEMBER, now=AFTER)
    long_name = "Ủy ban nhân dân phường có tên rất dài để dòng xuống nhiều hàng trong ô " * 3
    content.agencies = [
        reports.Row(f"A{i}", f"{i:02d} {long_name}", dict(content.total.values)) for i in range(40)
    ]
    pages_html: list[str] = []
    real = reports_render.render_to_string

    def keep(*args, **kwargs):
        pages_html.append(real(*args, **kwargs))
        return pages_html[-1]

    monkeypatch.setattr(reports_render, "render_to_string", keep)
    reports_render.to_pdf(content)
    (html,) = pages_html
    document = HTML(string=html).render(font_config=font_configuration())
    first_table = []  # per page: (heading rows, body rows) of the agencies' table
    seen: dict[int, list[int]] = {}
    for number, page in enumerate(document.pages):
        headings, body = 0, 0
        for group in page._page_box.descendants():
            if not isinstance(group, boxes.TableRowGroupBox):
                continue
            if group.is_header:  # the thead, as laid out on this page
                if "Cơ quan, đơn vị" in "".join(group.element.itertext()):
                    headings += len(group.children)
                continue
            for row in group.children:
                if long_name[:30] in "".join(row.element.itertext()):
                    body += 1
                    seen.setdefault(id(row.element), []).append(number)
        if body:
            first_table.append((number, headings, body))
    assert len(first_table) >= 3, first_table  # the table does span pages
    assert len(seen) == 40
    split = {k: v for k, v in seen.items() if len(set(v)) > 1}
    assert not split, f"rows split across pages: {sorted(split.values())}"
    for number, headings, _body in first_table:
        assert headings == 2, (number, headings)  # both heading rows, on every page
    # said for WeasyPrint and for the older property other readers of the HTML know
    assert "break-inside: avoid" in html and "page-break-inside: avoid" in html
