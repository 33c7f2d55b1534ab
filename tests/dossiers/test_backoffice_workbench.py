"""The officer's workbench: what the citizen sent, previews, papers of a step, the actions
the viewing official may take (one rule with the actions), the leader's confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tinhso.core import audit
from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions, permissions
from tinhso.dossiers.models import Dossier, ProcessingPaper
from tinhso.payments.models import Charge

from . import support
from .backoffice import state_of_the_world
from .test_office_views import sign_in

pytestmark = pytest.mark.django_db


def page_of(client, dossier: Dossier) -> str:
    response = client.get(reverse("dossiers:office-detail", args=[dossier.code]))
    assert response.status_code == 200
    return response.content.decode()


def forms_on(html: str, dossier: Dossier) -> list[str]:
    prefix = f'action="/mot-cua/ho-so/{dossier.code}/'
    return sorted(
        part.split("/", 1)[0] for part in html.split(prefix)[1:] if not part.startswith("tep/")
    )


def test_the_workbench_shows_the_answers_files_and_checklist(client, office):
    dossier = office.received()
    sign_in(client, office.chuyenvien)
    html = page_of(client, dossier)
    # e-form answers with the schema's labels, the date as people read it
    assert '<th scope="row">Họ, chữ đệm, tên</th><td>Nguyễn Văn An</td>' in html
    assert '<th scope="row">Ngày sinh</th><td>12/05/1990</td>' in html
    assert "1990-05-12" not in html
    # the file opens through the access-checked office view, with an inline preview
    item = dossier.files.get()
    url = reverse("dossiers:office-file", args=[dossier.code, "giay-to", item.pk])
    assert f'<a href="{url}" target="_blank" rel="noopener">to-khai.pdf</a>' in html
    assert f'<iframe src="{url}"' in html
    assert "Đã có 1 tệp" in html and "Đã số hóa" in html
    opened = client.get(url)
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"].startswith("inline")
    assert opened["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(opened.streaming_content).startswith(b"%PDF")
    # the read of the citizen's file is recorded, with who read it
    read = AuditRecord.objects.filter(action=audit.READ_PERSONAL_DATA).latest("id")
    assert (read.object_type, read.object_id, read.actor) == (
        "dossiers.dossierfile",
        str(item.pk),
        office.chuyenvien,
    )
    download = client.get(url + "?tai-ve=1")
    assert download["Content-Disposition"].startswith("attachment")
    # the step table speaks Vietnamese
    assert "Đang xử lý" in html and "early" not in html


def test_a_file_of_another_agencys_dossier_is_a_404(client, office):
    dossier = office.received()
    item = dossier.files.get()
    sign_in(client, office.outsider)
    url = reverse("dossiers:office-file", args=[dossier.code, "giay-to", item.pk])
    assert client.get(url).status_code == 404


def test_each_official_sees_only_the_actions_they_may_take(client, office):
    dossier = office.received()
    # the receiving officer may not forward the specialist's step: no button
    assert permissions.available(office.tiepnhan, dossier) == []
    sign_in(client, office.tiepnhan)
    html = page_of(client, dossier)
    # only the fee, which the desk takes at the counter (issue 13; the version has a fee)
    charge = Charge.objects.get(dossier=dossier)
    assert forms_on(html, dossier) == ["thu-phi"]
    counter = reverse("dossiers:office-counter-payment", args=[dossier.code, charge.pk])
    assert f'action="{counter}"' in html
    assert "Bạn không có thao tác nào với hồ sơ ở bước này" in html
    # the specialist may forward, ask for a supplement or for opinions
    assert permissions.available(office.chuyenvien, dossier) == [
        "request_supplement",
        "forward",
        "request_opinions",
    ]
    client.logout()
    sign_in(client, office.chuyenvien)
    assert forms_on(page_of(client, dossier), dossier) == [
        "forward",
        "request_opinions",
        "request_supplement",
    ]
    # the head of unit assigns and apologises, but does not perform the step
    assert permissions.available(office.truongphong, dossier) == ["assign", "extend"]


def test_the_queue_row_offers_forward_only_to_the_performer(client, office):
    dossier = office.received()
    sign_in(client, office.tiepnhan)
    # the desk sees the dossier it received, without a forward button
    html = client.get(reverse("dossiers:office-queue", args=["cho-tiep-nhan"])).content.decode()
    assert f"/mot-cua/ho-so/{dossier.code}/forward/" not in html
    client.logout()
    sign_in(client, office.chuyenvien)
    html = client.get(reverse("dossiers:office-queue", args=["don-vi"])).content.decode()
    assert f'action="/mot-cua/ho-so/{dossier.code}/forward/"' in html
    assert 'data-label="Mã hồ sơ"' in html  # the cards on a phone


def test_a_stale_page_is_refused_with_the_reason_and_changes_nothing(client, office):
    dossier = office.received()
    sign_in(client, office.tiepnhan)
    before = state_of_the_world(dossier)
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "forward"]), follow=True
    )
    assert "Bạn không được giao xử lý bước này của hồ sơ." in response.content.decode()
    assert state_of_the_world(dossier) == before


def test_the_specialist_forwards_with_a_draft_result_and_an_appraisal_note(client, office):
    dossier = office.received()
    sign_in(client, office.chuyenvien)
    draft = support.pdf_bytes("Du thao giay chung nhan")
    note = support.pdf_bytes("To trinh")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "forward"]),
        {
            "note": "Hồ sơ hợp lệ, trình lãnh đạo.",
            "paper-draft_result": SimpleUploadedFile("du-thao.pdf", draft, "application/pdf"),
            "paper-appraisal": SimpleUploadedFile("to-trinh.pdf", note, "application/pdf"),
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.current_step.name == "Phê duyệt"
    papers = list(dossier.papers.order_by("kind"))
    assert [(p.kind, p.original_name, p.file_kind, p.uploaded_by) for p in papers] == [
        ("appraisal", "to-trinh.pdf", "pdf", office.chuyenvien),
        ("draft_result", "du-thao.pdf", "pdf", office.chuyenvien),
    ]
    assert {p.step_record.name for p in papers} == {"Thẩm định hồ sơ"}
    # the leader reads them on the workbench
    client.logout()
    sign_in(client, office.lanhdao)
    html = page_of(client, dossier)
    assert "Hồ sơ trình" in html and "Dự thảo kết quả" in html and "du-thao.pdf" in html
    url = reverse("dossiers:office-file", args=[dossier.code, "trinh", papers[1].pk])
    assert client.get(url)["Content-Type"] == "application/pdf"


def test_a_refused_paper_keeps_the_dossier_where_it_was(office):
    dossier = office.received()
    before = state_of_the_world(dossier)
    from tinhso.dossiers.uploads import RejectedFile

    with pytest.raises(RejectedFile):
        actions.forward(
            dossier,
            officer=office.chuyenvien,
            papers=[actions.Paper(ProcessingPaper.Kind.DRAFT_RESULT, "x.pdf", b"not a pdf")],
        )
    assert state_of_the_world(dossier) == before


def test_approval_asks_for_confirmation_first(client, office):
    dossier = office.at_leader()
    sign_in(client, office.lanhdao)
    url = reverse("dossiers:office-act", args=[dossier.code, "approve"])
    before = state_of_the_world(dossier)
    asked = client.post(url)
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "Phê duyệt hồ sơ?" in html and 'name="xac-nhan" value="1"' in html
    assert state_of_the_world(dossier) == before  # nothing decided yet
    done = client.post(url, {"xac-nhan": "1"})
    assert done.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).state == "approved"


def test_the_whole_route_through_the_pages(client, office):
    """Received → forwarded → approved → result attached → ready → returned."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    dossier = office.received()
    for user, action, data in [
        (office.chuyenvien, "forward", {}),
        (office.lanhdao, "approve", {"xac-nhan": "1"}),
        (
            office.chuyenvien,
            "attach_result",
            {
                "name": "Phiếu lý lịch tư pháp",
                "file": SimpleUploadedFile("kq.pdf", support.pdf_bytes("kq"), "application/pdf"),
            },
        ),
        (office.chuyenvien, "mark_ready", {}),
        (office.tiepnhan, "return_result", {"how": "online"}),
    ]:
        client.logout()
        sign_in(client, user)
        assert action in forms_on(page_of(client, dossier), dossier), action
        response = client.post(reverse("dossiers:office-act", args=[dossier.code, action]), data)
        assert response.status_code == 302, action
    dossier.refresh_from_db()
    assert dossier.state == "returned"
    html = page_of(client, dossier)
    assert "Đã trả kết quả trực tuyến." in html  # the history
    assert "Hồ sơ đã kết thúc xử lý." in html and "Bước hiện tại" not in html


def test_bulk_assignment_is_offered_only_to_those_who_assign(client, office):
    office.received()
    sign_in(client, office.chuyenvien)
    html = client.get(reverse("dossiers:office-queue", args=["don-vi"])).content.decode()
    assert 'id="bulk-to"' not in html
    client.logout()
    sign_in(client, office.truongphong)
    html = client.get(reverse("dossiers:office-queue", args=["don-vi"])).content.decode()
    assert 'id="bulk-to"' in html
