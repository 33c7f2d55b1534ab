"""What a tester found walking the demo's late dossiers as the province's leader (issue 16,
second walk), each held here on dossiers the real actions made late, as the demo makes them
(`tinhso.dossiers.demo`: received in the past on a moved clock, one appraised and approved
now, one still waiting at the specialist):

1. the ranking's 2.1 and its "resolved late" count different dossiers (received in the period,
   ended in it): correct by rule, and the page now says so beside them;
2. the late list's officer of a decided dossier is who did its last step, not "—";
3. a step entered after its cumulative due time is marked so, and the status column is not
   headed "Đúng hạn" above a "Quá hạn";
4. an overdue open dossier's late step is the open step past its due time;
5. the dossier page lists the reception and links back to the list it was opened from."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, StepRecord
from tinhso.ioc import rollups

DRILL = "/dieu-hanh/ho-so/"


@pytest.fixture
def late_pair(office, monkeypatch):
    """Two dossiers received 40 days ago (their appointment long past): `done` appraised and
    approved now (ended late), `waiting` still at the specialist (overdue now)."""
    real = timezone.now
    past = real() - timedelta(days=40)
    monkeypatch.setattr(timezone, "now", lambda: past)
    done = office.received()
    waiting = office.received()
    actions.assign(waiting, officer=office.truongphong, to=office.chuyenvien)
    monkeypatch.setattr(timezone, "now", real)
    assert done.appointment_at < real() and waiting.appointment_at < real()
    done = actions.forward(done, officer=office.chuyenvien)
    done = actions.approve(done, officer=office.lanhdao)
    assert done.assignee is None  # nobody has a decided dossier
    rollups.rebuild()
    return done, waiting


def rows(html: str) -> list[list[str]]:
    body = html[html.rindex("<tbody>") : html.rindex("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def period_of(dossier: Dossier) -> str:
    day = timezone.localtime(dossier.finished_at or timezone.now()).date()
    return f"{day.year}-{day.month:02d}"


@pytest.mark.django_db
def test_the_late_list_names_who_decided_and_the_step_that_ran_late(client, office, late_pair):
    done, _waiting = late_pair
    factories.sign_in(client, office.lanhdao)
    query = {"unit": done.agency.code, "period": period_of(done), "measure": "late"}
    html = client.get(DRILL, query).content.decode()
    [row] = [r for r in rows(html) if r[0] == done.code]
    officer, late_step = row[3], row[7]
    assert officer == "Phạm Minh Đức"  # who approved it (the last step's performer)
    assert late_step.startswith("Thẩm định hồ sơ (") and ", xong " in late_step
    # the officer's link lists the dossiers showing that officer
    again = client.get(DRILL, {**query, "officer": office.lanhdao.pk}).content.decode()
    assert [r[0] for r in rows(again)] == [done.code]
    nobody = client.get(DRILL, {**query, "officer": office.tiepnhan.pk}).content.decode()
    assert done.code not in nobody


@pytest.mark.django_db
def test_an_overdue_open_dossier_names_the_step_it_waits_at_past_its_due_time(
    client, office, late_pair
):
    _done, waiting = late_pair
    factories.sign_in(client, office.lanhdao)
    html = client.get(DRILL, {"unit": waiting.agency.code, "measure": "overdue"}).content.decode()
    [row] = [r for r in rows(html) if r[0] == waiting.code]
    assert row[3] == "Lê Văn Cường"  # whom it is given to now
    step = StepRecord.objects.get(dossier=waiting)
    due = timezone.localtime(step.due_at).strftime("%d/%m/%Y %H:%M")
    assert row[7] == f"Thẩm định hồ sơ ({step.agency.name}), hạn {due}, chưa xong"


@pytest.mark.django_db
def test_a_step_entered_after_its_due_time_says_so_and_the_status_column_is_not_on_time(
    client, office, late_pair
):
    done, _waiting = late_pair
    factories.sign_in(client, office.lanhdao)
    steps = rows(client.get(f"/dieu-hanh/ho-so/{done.code}/").content.decode())
    assert [s[0] for s in steps] == ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt"]
    reception, appraisal, approval = steps
    # the reception: the service centre, the officer who received it, no due time of its own
    assert reception[1:3] == [office.agencies["centre"].name, "Trần Thị Bình"]
    assert reception[4] == "—" and reception[6] == "—"
    assert appraisal[6] == "Quá hạn"
    # the last step is due at the appointment (its cumulative share is 100 %), which had
    # passed when the dossier reached it: correct by rule, and said on the page
    record = StepRecord.objects.filter(dossier=done).order_by("pk").last()
    assert record.due_at == done.appointment_at < record.started_at
    assert approval[4].endswith("(đã quá hạn khi chuyển đến bước này)") and approval[6] == "Quá hạn"
    html = client.get(f"/dieu-hanh/ho-so/{done.code}/").content.decode()
    assert '<th scope="col">Tình trạng</th>' in html and '"Đúng hạn"' not in html
    # an open step within its time is "còn hạn", not "đúng hạn"
    fresh = office.received()
    [_reception, open_step] = rows(client.get(f"/dieu-hanh/ho-so/{fresh.code}/").content.decode())
    assert open_step[5] == "đang xử lý" and open_step[6] == "Còn hạn"


@pytest.mark.django_db
def test_the_dossier_page_links_back_to_the_list_it_was_opened_from(client, office, late_pair):
    done, _waiting = late_pair
    factories.sign_in(client, office.lanhdao)
    query = {"unit": done.agency.code, "period": period_of(done), "measure": "late"}
    listing = client.get(DRILL, {**query, "officer": office.lanhdao.pk}).content.decode()
    link = re.search(rf'href="(/dieu-hanh/ho-so/{re.escape(done.code)}/\?[^"]+)"', listing)
    assert link
    target = link.group(1).replace("&amp;", "&")
    page = client.get(target).content.decode()
    back = re.search(r'<a href="([^"]+)">Quay lại danh sách hồ sơ</a>', page)
    assert back
    listed = client.get(back.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200 and done.code in listed.content.decode()
    assert f"officer={office.lanhdao.pk}" in back.group(1)
    # opened without a list: the overview only
    alone = client.get(f"/dieu-hanh/ho-so/{done.code}/").content.decode()
    assert "Quay lại danh sách hồ sơ" not in alone and 'href="/dieu-hanh/"' in alone
    # the list's path is fixed: a query cannot send the link elsewhere
    odd = client.get(
        f"/dieu-hanh/ho-so/{done.code}/", {"measure": "late", "next": "https://evil.example/"}
    ).content.decode()
    back = re.search(r'<a href="([^"]+)">Quay lại danh sách hồ sơ</a>', odd)
    assert back and back.group(1).startswith("/dieu-hanh/ho-so/?")


def test_the_ranking_says_which_dossiers_its_on_time_share_and_late_count_are():
    from decimal import Decimal

    from django.template.loader import render_to_string

    from tinhso.ioc.dashboard import RankRow

    # the demo's department in December: 5 of 5 received on time, 1 received in November
    # ended late in December; both right, about different dossiers
    row = RankRow("000.00.06.H66", "Sở NN&MT", 5, 5, Decimal("100.00"), Decimal(80), 1)
    html = render_to_string(
        "ioc/_ranking.html",
        {"rows": [row], "kind": "Cơ quan", "label": "ioc-rank-a", "period": "2026-12"},
    )
    assert 'aria-describedby="ioc-rank-a-note"' in html
    note = re.search(r'<p class="ioc-meta" id="ioc-rank-a-note">(.*?)</p>', html, re.S)
    assert note and "hồ sơ tiếp nhận trong kỳ" in note.group(1)
    assert "hồ sơ kết thúc trong kỳ, có thể đã tiếp nhận từ kỳ trước" in note.group(1)
