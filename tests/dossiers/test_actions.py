"""The submission journey's actions on a real database: drafts, files, submission, after."""

from __future__ import annotations

import subprocess
from datetime import datetime
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.tools import requires_tool
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import actions, codes, errors
from tinhso.dossiers.models import Dossier, DossierCounter, DossierFile, Rating
from tinhso.dossiers.receipt import render_receipt
from tinhso.dossiers.uploads import RejectedFile

from . import support

MONDAY_9 = datetime(2025, 11, 24, 9, 15, tzinfo=VIETNAM)


def ready_draft(version, user):
    draft = actions.start_draft(version, user=user)
    assert (
        actions.save_form(draft, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"}, user=user)
        == {}
    )
    tk = version.components.get(code="TK")
    actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=user)
    actions.choose_delivery(draft, "online", user=user)
    return draft


def test_draft_is_prefilled_and_keeps_what_was_typed(version, citizen):
    draft = actions.start_draft(version, user=citizen)
    assert draft.state == "draft" and draft.code is None
    assert draft.form_data == {"ho_ten": "Nguyễn Văn An"}
    assert draft.agency.code == "000.00.03.H66"
    assert draft.fee_total == 200000 and draft.fee_status == "unpaid"
    errors = actions.save_form(
        draft, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "12/05/1990"}, user=citizen
    )
    assert errors == {"ngay_sinh": "“Ngày sinh” phải là ngày hợp lệ (năm-tháng-ngày)."}
    draft.refresh_from_db()
    assert draft.form_data == {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "12/05/1990"}
    assert draft.form_complete is False
    assert (
        AuditRecord.objects.filter(action="dossier.form_saved", object_id=str(draft.pk)).count()
        == 1
    )


def test_rejected_file_keeps_the_files_already_uploaded(version, citizen, media_in_tmp):
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    first = actions.attach_file(draft, tk.pk, "trang-1.pdf", support.pdf_bytes(), user=citizen)
    second = actions.attach_file(draft, tk.pk, "trang-2.png", support.png_bytes(), user=citizen)
    with pytest.raises(RejectedFile):
        actions.attach_file(draft, tk.pk, "virus.pdf", b"MZ\x90\x00 not a pdf", user=citizen)
    assert list(draft.files.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert sorted(p.name for p in (media_in_tmp / "dossiers" / str(draft.pk)).iterdir()) == sorted(
        [f"{first.sha256[:16]}.pdf", f"{second.sha256[:16]}.png"]
    )


def test_submission_gives_code_secret_appointment_event_audit_and_email(version, citizen):
    draft = ready_draft(version, citizen)
    with mock.patch("django.utils.timezone.now", return_value=MONDAY_9):
        dossier = actions.submit(draft, user=citizen)
    assert dossier.code == "000.00.03.H66-251124-0001"
    assert dossier.state == "submitted" and len(dossier.issued_secret) == 10
    # Only the keyed hash is stored, never the secret itself.
    dossier.refresh_from_db()
    assert dossier.lookup_secret_hash == codes.secret_digest(dossier.issued_secret)
    assert dossier.issued_secret not in str(
        list(Dossier.objects.filter(pk=dossier.pk).values_list())
    )
    assert dossier.appointment_at == datetime(2025, 12, 8, 9, 15, tzinfo=VIETNAM)
    assert [e.state for e in dossier.events.all()] == ["submitted"]
    assert (
        AuditRecord.objects.filter(action="dossier.submitted", object_id=str(dossier.pk)).count()
        == 1
    )
    mail = OutboxMessage.objects.get(topic="notify")
    assert mail.payload["to"] == "an.nguyen@example.com"
    assert mail.payload["subject"] == "Đã nhận hồ sơ 000.00.03.H66-251124-0001"
    assert "Mã tra cứu: " + dossier.issued_secret in mail.payload["body"]
    assert "Ngày hẹn trả kết quả (dự kiến): 09:15 ngày 08/12/2025" in mail.payload["body"]


def test_sequence_counts_per_agency_per_day(version, citizen):
    codes = []
    for _ in range(3):
        with mock.patch("django.utils.timezone.now", return_value=MONDAY_9):
            codes.append(actions.submit(ready_draft(version, citizen), user=citizen).code)
    with mock.patch(
        "django.utils.timezone.now", return_value=datetime(2025, 11, 25, 8, 0, tzinfo=VIETNAM)
    ):
        codes.append(actions.submit(ready_draft(version, citizen), user=citizen).code)
    assert codes == [
        "000.00.03.H66-251124-0001",
        "000.00.03.H66-251124-0002",
        "000.00.03.H66-251124-0003",
        "000.00.03.H66-251125-0001",
    ]
    assert DossierCounter.objects.get(day="2025-11-24").last == 3


def test_incomplete_draft_is_not_submitted_and_nothing_changes(version, citizen):
    draft = actions.start_draft(version, user=citizen)
    with pytest.raises(actions.DossierError) as refused:
        actions.submit(draft, user=citizen)
    tk = version.components.get(code="TK")
    assert refused.value.errors == {
        "ngay_sinh": "Vui lòng nhập “Ngày sinh”.",
        f"component-{tk.pk}": "Chưa đính kèm “Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp”.",
        "delivery": "Vui lòng chọn một cách nhận kết quả mà thủ tục cho phép.",
    }
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.code is None
    assert not DossierCounter.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_failure_inside_submission_leaves_a_draft_and_no_number(version, citizen):
    draft = ready_draft(version, citizen)
    failing = mock.patch("tinhso.dossiers.actions.notify", side_effect=RuntimeError("down"))
    with failing, pytest.raises(RuntimeError):
        actions.submit(draft, user=citizen)
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.code is None and draft.lookup_secret_hash == ""
    assert not DossierCounter.objects.exists()
    assert not draft.events.exists()


def test_someone_else_cannot_touch_a_draft(version, citizen, other_citizen):
    draft = actions.start_draft(version, user=citizen)
    with pytest.raises(actions.DossierError) as refused:
        actions.save_form(draft, {"ho_ten": "Kẻ khác"}, user=other_citizen)
    assert refused.value.code is errors.DOSSIER_NOT_FOUND  # 404, not 403
    with pytest.raises(actions.DossierError) as refused:
        actions.submit(draft, user=other_citizen)
    assert refused.value.code is errors.DOSSIER_NOT_FOUND  # 404, not 403
    draft.refresh_from_db()
    assert draft.form_data == {"ho_ten": "Nguyễn Văn An"} and draft.state == "draft"


def test_post_delivery_needs_an_address_and_partial_online_offers_the_online_result_first(
    agencies, citizen
):
    from .conftest import make_version

    partial = make_version(agencies["STP"], code="1.000001", online_type="mot_phan")
    assert actions.delivery_options(partial) == ["online", "counter", "post"]
    draft = actions.start_draft(partial, user=citizen)
    with pytest.raises(actions.DossierError) as refused:
        actions.choose_delivery(draft, "post", "", user=citizen)
    assert refused.value.errors == {
        "delivery_address": "Vui lòng nhập địa chỉ nhận kết quả qua bưu chính."
    }
    # The result of a procedure taken online is electronic first (issue 10).
    actions.choose_delivery(draft, "online", user=citizen)
    draft.refresh_from_db()
    assert draft.delivery == "online"


def test_not_online_procedure_refuses_a_draft(agencies, citizen):
    from .conftest import make_version

    counter_only = make_version(
        agencies["STP"], code="1.000002", online_type="khong", channels=("counter",)
    )
    with pytest.raises(actions.DossierError, match="không nhận hồ sơ trực tuyến"):
        actions.start_draft(counter_only, user=citizen)
    assert not Dossier.objects.exists()


def test_withdraw_only_before_reception(version, citizen, other_citizen):
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    with pytest.raises(actions.DossierError) as refused:
        actions.withdraw(dossier, user=other_citizen)
    assert refused.value.code is errors.DOSSIER_NOT_FOUND  # 404, not 403
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
    actions.withdraw(dossier, user=citizen, reason="Nộp nhầm thủ tục")
    dossier.refresh_from_db()
    assert dossier.state == "withdrawn"
    assert (
        dossier.events.values_list("note", flat=True).last()
        == "Công dân rút hồ sơ. Nộp nhầm thủ tục"
    )
    with pytest.raises(actions.DossierError):
        actions.withdraw(dossier, user=citizen)


def test_rating_once_with_a_reason_when_not_satisfied(version, citizen):
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    with pytest.raises(actions.DossierError) as refused:
        actions.rate(dossier, "not_satisfied", "", user=citizen)
    assert refused.value.errors == {"comment": "Vui lòng cho biết lý do chưa hài lòng."}
    actions.rate(dossier, "very_satisfied", "Nhanh, gọn", user=citizen)
    assert Rating.objects.get(dossier=dossier).level == "very_satisfied"
    with pytest.raises(actions.DossierError, match="đã được đánh giá"):
        actions.rate(dossier, "satisfied", user=citizen)


def test_supplement_pauses_the_clock_and_the_answer_moves_the_appointment(version, citizen):
    with mock.patch("django.utils.timezone.now", return_value=MONDAY_9):
        dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    tk = version.components.get(code="TK")
    asked = datetime(2025, 11, 25, 9, 15, tzinfo=VIETNAM)
    with mock.patch("django.utils.timezone.now", return_value=asked):
        actions.request_supplement(
            dossier,
            reason="Ngày sinh chưa khớp CCCD",
            fields=["ngay_sinh"],
            component_ids=[tk.pk],
            officer=None,
        )
    dossier.refresh_from_db()
    assert dossier.state == "supplement_requested"
    with pytest.raises(actions.DossierError) as refused:
        actions.answer_supplement(dossier, {"ngay_sinh": "1990-05-21"}, user=citizen)
    assert refused.value.errors == {
        f"component-{tk.pk}": "Chưa bổ sung “Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp”."
    }
    actions.attach_file(dossier, tk.pk, "to-khai-moi.pdf", support.pdf_bytes("moi"), user=citizen)
    answered = datetime(2025, 11, 27, 9, 15, tzinfo=VIETNAM)  # two working days later
    with mock.patch("django.utils.timezone.now", return_value=answered):
        actions.answer_supplement(
            dossier, {"ngay_sinh": "1990-05-21", "ho_ten": "Bị bỏ qua"}, user=citizen
        )
    dossier.refresh_from_db()
    # issue 4: asked before reception, the answered dossier goes back to the reception desk
    assert dossier.state == "submitted"
    assert (
        dossier.form_data["ngay_sinh"] == "1990-05-21"
        and dossier.form_data["ho_ten"] == "Nguyễn Văn An"
    )
    # 10 working days from Monday 24/11 09:15 = 08/12, plus the 2 paused days = 10/12
    assert dossier.appointment_at == datetime(2025, 12, 10, 9, 15, tzinfo=VIETNAM)


def test_earlier_result_can_be_picked_from_the_data_store(version, citizen, other_citizen):
    earlier = actions.submit(ready_draft(version, citizen), user=citizen)
    result = actions.issue_result(
        earlier, "Phiếu lý lịch tư pháp số 1", support.pdf_bytes("kq"), officer=None
    )
    from tinhso.dossiers.datastore import store_for

    docs = store_for(citizen).documents()
    assert [(d.ref, d.name, d.source) for d in docs] == [
        (f"result:{result.pk}", "Phiếu lý lịch tư pháp số 1", f"Kết quả hồ sơ {earlier.code}")
    ]
    assert store_for(other_citizen).documents() == []
    assert store_for(citizen).read(f"result:{result.pk}") == support.pdf_bytes("kq")
    draft = actions.start_draft(version, user=citizen)
    cccd = version.components.get(code="CCCD")
    item = actions.attach_from_datastore(draft, cccd.pk, f"result:{result.pk}", user=citizen)
    assert item.from_result == result and item.size == 0
    other_draft = actions.start_draft(version, user=other_citizen)
    with pytest.raises(actions.DossierError):
        actions.attach_from_datastore(
            other_draft, cccd.pk, f"result:{result.pk}", user=other_citizen
        )
    assert not DossierFile.objects.filter(dossier=other_draft).exists()


@requires_tool("pdftotext")
def test_receipt_pdf_text(version, citizen, tmp_path):
    with mock.patch("django.utils.timezone.now", return_value=MONDAY_9):
        dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    pdf = tmp_path / "bien-nhan.pdf"
    pdf.write_bytes(render_receipt(dossier))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    # Submitted online, not yet received by an officer: it confirms the submission only.
    assert "GIẤY XÁC NHẬN ĐÃ NỘP HỒ SƠ TRỰC TUYẾN" in flat
    assert "Mã hồ sơ: 000.00.03.H66-251124-0001" in flat
    assert "Nguyễn Văn An" in flat
    # The QR code's caption sits beside the procedure's name, so the layout interleaves them.
    assert "Cấp Phiếu lý lịch tư pháp cho" in flat and "(mã thủ tục 2.000488)" in flat
    assert "09 giờ 15 phút, ngày 24/11/2025" in flat
    assert "(dự kiến): 09 giờ 15 phút, ngày 08/12/2025" in flat
    assert f"Mã tra cứu: {dossier.issued_secret}" in flat
    assert "10 ngày làm việc" in flat
    # Printed again later, without the secret in hand: it says so and never prints a hash.
    later = Dossier.objects.get(pk=dossier.pk)
    pdf.write_bytes(render_receipt(later))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "Mã tra cứu: đã cấp khi nộp hồ sơ" in flat
    assert dossier.issued_secret not in flat and later.lookup_secret_hash not in flat


def test_receipt_qr_code_encodes_the_lookup_address(version, citizen):
    from tinhso.dossiers.receipt import lookup_url, receipt_context

    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    url = lookup_url(dossier.code or "", dossier.issued_secret)
    assert url.endswith(f"/tra-cuu-ho-so/?ma={dossier.code}&ma-tra-cuu={dossier.issued_secret}")
    assert receipt_context(dossier)["lookup_url"] == url
    assert receipt_context(dossier)["qr"].startswith("data:image/png;base64,")
    later = Dossier.objects.get(pk=dossier.pk)
    assert receipt_context(later)["lookup_url"].endswith(f"/tra-cuu-ho-so/?ma={dossier.code}")


def test_removing_a_file_deletes_it_from_storage_after_commit(
    version, citizen, django_capture_on_commit_callbacks
):
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    item = actions.attach_file(draft, tk.pk, "a.pdf", support.pdf_bytes(), user=citizen)
    name = item.file.name or ""
    with django_capture_on_commit_callbacks(execute=True):
        actions.remove_file(item, user=citizen)
    assert not default_storage.exists(name)
    assert not draft.files.exists()
    assert timezone.now()


def test_abandoned_drafts_are_discarded_with_their_files(
    version, citizen, media_in_tmp, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.core.management import call_command

    old = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    item = actions.attach_file(old, tk.pk, "cu.pdf", support.pdf_bytes(), user=citizen)
    Dossier.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))
    fresh = actions.start_draft(version, user=citizen)
    submitted = actions.submit(ready_draft(version, citizen), user=citizen)
    Dossier.objects.filter(pk=submitted.pk).update(updated_at=timezone.now() - timedelta(days=90))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("discard_abandoned_drafts", "--days", "30")
    assert set(Dossier.objects.values_list("pk", flat=True)) == {fresh.pk, submitted.pk}
    assert not (media_in_tmp / item.file.name).exists()
    assert AuditRecord.objects.filter(action="dossier.draft_discarded").count() == 1


def test_an_empty_supplement_answer_is_refused_and_the_clock_stays_paused(version, citizen):
    """The tester's finding: "Nộp bổ sung" with nothing restarted the legal clock."""
    with mock.patch("django.utils.timezone.now", return_value=MONDAY_9):
        dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    actions.request_supplement(
        dossier, reason="Giải trình", fields=[], component_ids=[], officer=None
    )
    dossier.refresh_from_db()
    with pytest.raises(actions.DossierError) as refused:
        actions.answer_supplement(dossier, {}, "  ", user=citizen)
    assert set(refused.value.errors) == {"note"}
    dossier.refresh_from_db()
    assert dossier.state == "supplement_requested"
    actions.answer_supplement(dossier, {}, "Đã có giấy tờ gốc", user=citizen)
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
