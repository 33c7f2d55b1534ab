"""Issue 10, the citizen's side: the receipt's QR link, supplements answered with files, the
upload step sorted and folded, rating after the result, no fee text before payments exist."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tinhso.catalogue.models import ComponentRequirement
from tinhso.dossiers import actions, receipt
from tinhso.dossiers.models import Dossier, DossierFile, LookupAttempt, Rating

from . import support
from .test_views import submitted


def qr_path(dossier: Dossier) -> str:
    url = receipt.receipt_context(Dossier.objects.get(pk=dossier.pk))["link_url"]
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_receipt_qr_opens_the_status_in_a_fresh_browser_without_the_secret(
    client, version, citizen
):
    dossier = submitted(version, citizen)
    stored = Dossier.objects.get(pk=dossier.pk)  # no clear secret: a later download
    context = receipt.receipt_context(stored)
    assert context["secret"] == "" and "/tra-cuu-ho-so/qr/" in context["link_url"]

    page = Client().get(qr_path(stored))
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert dossier.code in text and "Đã nộp, chờ tiếp nhận" in text
    assert "N. V. A." in text and "Nguyễn Văn An" not in text
    assert "Mã hồ sơ hoặc mã tra cứu không đúng" not in text
    assert LookupAttempt.objects.count() == 0


def test_a_forged_or_retired_qr_link_is_a_counted_miss(client, version, citizen, settings):
    dossier = submitted(version, citizen)
    old = qr_path(dossier)
    actions.reissue_lookup_secret(Dossier.objects.get(pk=dossier.pk), user=citizen)
    retired = client.get(old)
    assert retired.status_code == 404
    assert "Đường dẫn tra cứu không còn hiệu lực" in retired.content.decode()
    assert "Người nộp" not in retired.content.decode().split('id="noi-dung"', 1)[1]
    token = old.rsplit("/", 2)[1]
    other_code = token.replace(dossier.code, dossier.code[:-1] + "9")
    forged = client.get(f"/tra-cuu-ho-so/qr/{other_code}/")
    assert forged.status_code == 404
    assert LookupAttempt.objects.count() == 2
    settings.DOSSIER_LOOKUPS_PER_MINUTE = 2
    assert client.get(qr_path(dossier)).status_code == 429


def test_the_lookup_form_posts_from_its_own_page(version, citizen):
    dossier = submitted(version, citizen)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("dossiers:lookup"))
    # no-referrer would make the browser post "Origin: null", which the CSRF check refuses
    assert page["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    answer = browser.post(
        reverse("dossiers:lookup"),
        {"csrfmiddlewaretoken": token, "ma": dossier.code, "ma-tra-cuu": dossier.issued_secret},
    )
    assert answer.status_code == 200 and "Đã nộp, chờ tiếp nhận" in answer.content.decode()
    only_code = browser.post(
        reverse("dossiers:lookup"), {"csrfmiddlewaretoken": token, "ma": dossier.code}
    )
    assert only_code.status_code == 422
    assert "Vui lòng nhập cả mã hồ sơ và mã tra cứu." in only_code.content.decode()


def test_the_provisional_receipt_says_submitted_waiting_for_reception(client, version, citizen):
    dossier = submitted(version, citizen)
    client.force_login(citizen)
    response = client.get(reverse("dossiers:receipt", args=[dossier.code]))
    assert response["Content-Disposition"].startswith("attachment;")
    context = receipt.receipt_context(Dossier.objects.get(pk=dossier.pk))
    from django.template.loader import render_to_string

    html = render_to_string("dossiers/receipt.html", context)
    assert "đã nộp, chờ tiếp nhận" in html and "đã tiếp nhận hồ sơ trực tuyến" not in html
    assert "chưa nộp phí" not in html and "200000" not in html
    assert context["link_url"] in html


def test_a_supplement_is_answered_with_a_file_and_a_note_when_no_component_was_named(
    client, version, citizen
):
    dossier = submitted(version, citizen)
    actions.request_supplement(
        dossier, reason="Ảnh căn cước bị mờ", fields=[], component_ids=[], officer=None
    )
    client.force_login(citizen)
    url = reverse("dossiers:detail", args=[dossier.code])
    page = client.get(url).content.decode()
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    cccd = version.components.get(code="CCCD")
    answer = client.post(
        reverse("dossiers:supplement-answer", args=[dossier.code]),
        {
            "component": cccd.pk,
            "files": [SimpleUploadedFile("cccd-ro.jpg", support.jpeg_bytes())],
            "note": "Đã chụp lại rõ hơn",
        },
    )
    assert answer.status_code == 302
    dossier.refresh_from_db()
    request = dossier.supplements.get()
    assert dossier.state == Dossier.State.SUBMITTED and request.answer_note == "Đã chụp lại rõ hơn"
    added = DossierFile.objects.get(supplement=request)
    assert added.component == cccd and added.original_name == "cccd-ro.jpg"


def test_a_refused_file_keeps_the_note_and_answers_nothing(client, version, citizen):
    dossier = submitted(version, citizen)
    tk = version.components.get(code="TK")
    actions.request_supplement(
        dossier, reason="Thiếu trang 2", fields=[], component_ids=[tk.pk], officer=None
    )
    client.force_login(citizen)
    answer = client.post(
        reverse("dossiers:supplement-answer", args=[dossier.code]),
        {f"files-{tk.pk}": [SimpleUploadedFile("x.pdf", b"MZ not a pdf")], "note": "Ghi chú"},
    )
    assert answer.status_code == 422
    text = answer.content.decode()
    assert "Chưa nộp bổ sung được" in text and ">Ghi chú</textarea>" in text
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.SUPPLEMENT_REQUESTED
    assert dossier.supplements.get().answered_at is None


def test_the_upload_step_puts_required_documents_first_and_folds_legal_notes(
    client, version, citizen
):
    ComponentRequirement.objects.create(
        version=version,
        position=3,
        name="Người tiếp nhận có trách nhiệm kiểm tra, đối chiếu giấy tờ xuất trình.",
        group="* Lưu ý:",
        required=False,
    )
    draft = actions.start_draft(version, user=citizen)
    client.force_login(citizen)
    page = client.get(reverse("dossiers:draft-files", args=[draft.pk])).content.decode()
    required = page.index("Giấy tờ bắt buộc")
    optional = page.index("Giấy tờ nộp khi thuộc trường hợp")
    notes = page.index("Lưu ý theo quy định (1 mục)")
    assert required < page.index("Tờ khai yêu cầu cấp Phiếu") < optional < notes
    assert page.index("Bản chụp Căn cước công dân") > optional
    assert page.count('type="file"') == 2  # no upload box for a note
    assert 'class="legal-notes"' in page and "không bắt buộc" in page


def test_rating_is_offered_only_once_the_result_is_returned(client, version, citizen):
    dossier = submitted(version, citizen)
    client.force_login(citizen)
    url = reverse("dossiers:detail", args=[dossier.code])
    page = client.get(url).content.decode()
    assert "Đánh giá mức độ hài lòng" not in page
    assert "200000" not in page and "200.000 đồng" in page  # the charge, as people write it
    Dossier.objects.filter(pk=dossier.pk).update(state=Dossier.State.RETURNED)
    assert "Đánh giá mức độ hài lòng" in client.get(url).content.decode()
    assert not Rating.objects.exists()


def test_the_electronic_result_is_offered_first_for_a_partly_online_procedure(
    client, agencies, citizen
):
    from .conftest import make_version

    partial = make_version(agencies["STP"], code="1.000002", online_type="mot_phan")
    draft = actions.start_draft(partial, user=citizen)
    client.force_login(citizen)
    page = client.get(reverse("dossiers:draft-delivery", args=[draft.pk])).content.decode()
    values = re.findall(r'name="delivery" value="(\w+)"', page)
    assert values == ["online", "counter", "post"]


def test_back_to_a_submitted_drafts_pages_leads_to_the_dossier(
    client, version, citizen, make_citizen
):
    """The tester's finding: Back after "Nộp hồ sơ" showed a 404, as if the dossier were lost."""
    dossier = submitted(version, citizen)
    client.force_login(citizen)
    for name in ("draft-form", "draft-files", "draft-delivery", "draft-review"):
        page = client.get(reverse(f"dossiers:{name}", args=[dossier.pk]))
        assert page.status_code == 302, name
        assert page["Location"] == reverse("dossiers:detail", args=[dossier.code])
    other = Client()
    other.force_login(make_citizen("066090009999", phone="0987000111", email="b@example.com"))
    assert other.get(reverse("dossiers:draft-review", args=[dossier.pk])).status_code == 404
