"""A dossier taken in at the one-stop desk says in its history how it was filed: at the
counter or by post; the portal's and the client applications' dossiers, online."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tinhso.dossiers.models import Dossier

from . import support
from .test_office_views import sign_in

COUNTER_NOTE = "Hồ sơ đã được nộp trực tiếp tại Bộ phận Một cửa."
POST_NOTE = "Hồ sơ đã được nộp qua dịch vụ bưu chính công ích."


def _intake(office, channel: str, **extra) -> Dossier:
    return support.paper_intake(office, channel=channel, **extra)


def _submitted_note(dossier: Dossier) -> str:
    return dossier.events.get(state=Dossier.State.SUBMITTED).note


def test_counter_intake_event_says_it_was_filed_at_the_counter(client, office):
    dossier = _intake(office, "counter", delivery="counter")
    assert _submitted_note(dossier) == COUNTER_NOTE
    # the officer's page and the citizen's page show that event's note
    sign_in(client, office.tiepnhan)
    office_page = client.get(reverse("dossiers:office-detail", args=[dossier.code]))
    citizen = Client()
    citizen.force_login(dossier.owner)
    citizen_page = citizen.get(reverse("dossiers:detail", args=[dossier.code]))
    public = Client().get(
        reverse("dossiers:lookup"), {"ma": dossier.code, "ma-tra-cuu": dossier.issued_secret}
    )
    for page in (office_page, citizen_page):
        html = page.content.decode()
        assert page.status_code == 200 and COUNTER_NOTE in html
    # the public look-up lists the states only, without the notes
    for page in (office_page, citizen_page, public):
        assert "nộp trực tuyến" not in page.content.decode()


def test_postal_intake_event_says_it_came_by_post(office):
    dossier = _intake(office, "post", delivery="post", delivery_address="12 Lê Duẩn, Buôn Ma Thuột")
    assert _submitted_note(dossier) == POST_NOTE


def test_online_submission_event_keeps_its_wording(office):
    assert _submitted_note(office.submitted()) == "Hồ sơ đã được nộp trực tuyến."
