"""A refused action on the officer's dossier page shows that page again with what the
officer typed and chose still in the form (a redirect used to empty it)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from .backoffice import state_of_the_world
from .test_office_views import sign_in

NOTE = ("Hồ sơ đầy đủ thành phần, thông tin khớp với cơ sở dữ liệu dân cư; " * 5)[:300]


def test_refused_paper_keeps_the_typed_note_on_the_page(client, office):
    dossier = office.received()
    sign_in(client, office.chuyenvien)
    before = state_of_the_world(dossier)
    fake = SimpleUploadedFile(
        "to-trinh.pdf", b"chi la van ban, khong phai PDF\n" * 20, "text/plain"
    )
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "forward"]),
        {"note": NOTE, "paper-appraisal": fake},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        re.search(r'<textarea name="note" id="cb-note" rows="2">([^<]*)</textarea>', html)[1]
        == NOTE
    )
    assert "vui lòng chọn lại tệp đính kèm" in html
    assert state_of_the_world(dossier) == before
    # the page as it is without a refusal: the form empty
    page = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert '<textarea name="note" id="cb-note" rows="2"></textarea>' in page


def test_refused_supplement_keeps_the_ticked_parts_and_their_reasons(client, office):
    dossier = office.received()
    tk = office.version.components.get(code="TK")
    sign_in(client, office.chuyenvien)
    before = state_of_the_world(dossier)
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "request_supplement"]),
        {
            "components": [str(tk.pk), "999999"],  # one part the page never offered
            f"reason-{tk.pk}": "Thiếu chữ ký",
            "reason": "Bổ sung bản chính",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert state_of_the_world(dossier) == before
    assert f'value="{tk.pk}" id="bs-{tk.pk}" checked' in html
    assert f'id="bs-ly-do-{tk.pk}" value="Thiếu chữ ký"' in html
    assert ">Bổ sung bản chính</textarea>" in html
    assert '<details class="box more" open><summary>' in html


def test_refused_extension_keeps_the_date_and_the_reason(client, office):
    dossier = office.received()
    sign_in(client, office.truongphong)
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "extend"]),
        {"new_appointment": "2026-02-30T10:00", "reason": "Chờ xác minh của xã"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="2026-02-30T10:00"' in html
    assert 'id="xl-ly-do" required value="Chờ xác minh của xã"' in html
    assert '<details class="box more" open>' in html


def test_a_queue_row_refused_without_javascript_still_goes_back_to_the_queue(client, office):
    dossier = office.received()
    sign_in(client, office.tiepnhan)
    back = reverse("dossiers:office-queue", args=["cho-tiep-nhan"])
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "approve"]), {"next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
