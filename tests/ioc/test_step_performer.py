"""Who did a step (issue 16, a tester's "Cán bộ —" on a step a specialist had done): the
action that ends a step records its performer, and the IOC's dossier page shows the
performer, else the assignee, else "—"."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tinhso.dossiers.models import StepRecord


@pytest.mark.django_db
def test_a_finished_step_shows_who_did_it_even_when_nobody_was_assigned(client, office):
    from tinhso.dossiers import actions

    dossier = office.received()  # the first step is given to no one
    first = StepRecord.objects.get(dossier=dossier)
    assert first.assignee is None and first.performed_by is None
    dossier = actions.forward(dossier, officer=office.chuyenvien)
    first.refresh_from_db()
    assert (first.outcome, first.performed_by) == ("forwarded", office.chuyenvien)
    assert first.assignee is None
    factories.sign_in(client, office.lanhdao)  # a leader of the department: the IOC
    rows = steps_on_the_page(client, dossier.code)
    assert [(r[0], r[2]) for r in rows] == [
        ("Thẩm định hồ sơ", "Lê Văn Cường"),  # who did it
        ("Phê duyệt", "—"),  # open, given to no one
    ]
    actions.approve(dossier, officer=office.lanhdao)
    rows = steps_on_the_page(client, dossier.code)
    assert [(r[0], r[2]) for r in rows] == [
        ("Thẩm định hồ sơ", "Lê Văn Cường"),
        ("Phê duyệt", "Phạm Minh Đức"),
    ]
    done = StepRecord.objects.filter(dossier=dossier).order_by("pk")
    assert [s.performed_by for s in done] == [office.chuyenvien, office.lanhdao]
    # a step given to someone and not yet done: its assignee
    other = office.received()
    actions.assign(other, officer=office.truongphong, to=office.chuyenvien)
    assert [(r[0], r[2]) for r in steps_on_the_page(client, other.code)] == [
        ("Thẩm định hồ sơ", "Lê Văn Cường")
    ]


@pytest.mark.django_db
def test_a_step_sent_back_records_who_sent_it(office):
    from tinhso.dossiers import actions

    dossier = office.at_leader()
    actions.return_to_step(dossier, officer=office.lanhdao, position=1, reason="Bổ sung tờ trình")
    sent_back = StepRecord.objects.filter(dossier=dossier, outcome="returned").get()
    assert sent_back.performed_by == office.lanhdao


def steps_on_the_page(client, code: str) -> list[tuple[str, ...]]:
    page = client.get(f"/dieu-hanh/ho-so/{code}/")
    assert page.status_code == 200
    html = page.content.decode()
    body = html[html.rindex("<tbody>") : html.rindex("</tbody>")]
    rows = [
        tuple(
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        )
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    # the reception first (test_late_dossier_walk.py), then the route's steps
    assert rows[0][:3] == (
        "Tiếp nhận hồ sơ",
        "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
        "Trần Thị Bình",
    )
    return rows[1:]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_who_forwarded_or_sent_back_a_past_step(office, migrator):
    """Rows written before the field: a forwarded or returned step's performer is the next
    row's `from_user` (the same action wrote both); a decided step stays unknown."""
    from tinhso.dossiers import actions

    dossier = office.at_leader()
    actions.return_to_step(dossier, officer=office.lanhdao, position=1, reason="Bổ sung")
    actions.forward(dossier, officer=office.chuyenvien)
    actions.approve(dossier, officer=office.lanhdao)
    StepRecord.objects.update(performed_by=None)  # as the rows were before 0015
    migrator([("dossiers", "0014_reuse_from_data_store")])
    migrator([("dossiers", "0015_step_performer")])
    rows = StepRecord.objects.filter(dossier=dossier).order_by("pk")
    assert [(r.outcome, r.performed_by_id) for r in rows] == [
        ("forwarded", office.chuyenvien.pk),
        ("returned", office.lanhdao.pk),
        ("forwarded", office.chuyenvien.pk),
        ("finished", None),
    ]


@pytest.mark.django_db
def test_the_steps_are_cards_on_a_phone_as_the_list_of_dossiers(client, office):
    dossier = office.received()
    factories.sign_in(client, office.lanhdao)
    html = client.get(f"/dieu-hanh/ho-so/{dossier.code}/").content.decode()
    assert re.search(
        r'<div class="ioc-scroll ioc-stack ioc-padded" tabindex="0" role="region" '
        r'aria-labelledby="ioc-steps">',
        html,
    )
    row = re.search(r"<tbody><tr>(.*?)</tr>", html, re.S).group(1)
    labels = re.findall(r'<td data-label="([^"]+)"', row)
    assert labels == ["Cơ quan", "Cán bộ", "Bắt đầu", "Hạn", "Xong", "Tình trạng"]
