"""Who files (issue 17 item 8): a signed-in citizen files as themselves, the applicant's
identity coming from the account; filing for another person is declared, recorded, carries an
authorisation document (except a parent's or guardian's for a minor) and is shown to the
officer. Decree 118/2025/NĐ-CP; Civil Code 2015 Art. 138-143.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions
from tinhso.dossiers.actions import drafts
from tinhso.dossiers.models import Dossier, DossierFile, IdempotencyKey
from tinhso.dossiers.receipt import render_receipt
from tinhso.people import clients

from . import support
from .test_api import URL
from .test_office_views import sign_in

NOT_HOLDER = (
    "Người nộp phải là chủ tài khoản. Nếu nộp thay người khác, hãy chọn “Nộp thay” và đính "
    "kèm giấy ủy quyền."
)
NEEDS_AUTHORISATION = "Nộp thay người khác cần đính kèm giấy ủy quyền (văn bản ủy quyền)."
OWN_ID = "066090001234"  # the `citizen` fixture, Nguyễn Văn An
ADULT = {"name": "Lê Văn Cường", "personal_id": "066088004321", "relation": "người được ủy quyền"}
CHILD_ID = "066315001234"  # a girl born in 2015


@pytest.fixture
def version(version):
    """The fixture's procedure with the applicant's identity in its e-form, as the demo forms
    have it: name, personal ID and phone prefilled from the citizen."""
    schema = dict(version.eform_schema)
    schema["properties"] = {
        **schema["properties"],
        "so_dinh_danh": {
            "type": "string",
            "title": "Số định danh cá nhân",
            "pattern": "^[0-9]{12}$",
        },
        "dien_thoai": {"type": "string", "title": "Số điện thoại"},
    }
    schema["required"] = [*schema["required"], "so_dinh_danh"]
    layout = dict(version.eform_layout)
    layout["prefill"] = {
        "ho_ten": "citizen.full_name",
        "so_dinh_danh": "citizen.personal_id",
        "dien_thoai": "citizen.phone",
    }
    version.eform_schema, version.eform_layout = schema, layout
    version.save(update_fields=["eform_schema", "eform_layout"])
    return version


def pdf64(text: str = "Giay uy quyen") -> str:
    return base64.b64encode(support.pdf_bytes(text)).decode()


def body(form=None, attachments=None, **extra):
    data = {
        "procedure": "2.000488",
        "form": form or {"ngay_sinh": "1990-05-12"},
        "delivery": "online",
        "attachments": [{"component": "TK", "filename": "to-khai.pdf", "content_base64": pdf64()}]
        + (attachments or []),
    }
    data.update(extra)
    return data


def post(http, data, key="nop-thay-000001", **headers):
    return http.post(
        URL, data, content_type="application/json", headers={"Idempotency-Key": key, **headers}
    )


def fields(response):
    return {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_saved(media: Path) -> None:
    assert Dossier.objects.count() == 0
    assert DossierFile.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0
    assert stored_files(media) == []


# --- the API ---------------------------------------------------------------------------------
def test_api_self_filing_naming_another_person_is_refused_and_nothing_saved(
    client, version, citizen, media_in_tmp
):
    client.force_login(citizen)
    other = {"ho_ten": "Trần Thị Bình", "so_dinh_danh": "066195000777", "ngay_sinh": "1995-01-01"}
    response = post(client, body(form=other))
    assert response.status_code == 422
    assert fields(response) == {
        ("body", "form", "ho_ten"): NOT_HOLDER,
        ("body", "form", "so_dinh_danh"): NOT_HOLDER,
    }
    nothing_saved(media_in_tmp)


def test_api_self_filing_takes_the_identity_from_the_account(client, version, citizen):
    client.force_login(citizen)
    # the holder's own data written differently is theirs; left out, it is filled
    response = post(client, body(form={"ho_ten": "nguyễn  văn AN", "ngay_sinh": "1990-05-12"}))
    assert response.status_code == 201
    dossier = Dossier.objects.get()
    assert dossier.form_data["ho_ten"] == "Nguyễn Văn An"
    assert dossier.form_data["so_dinh_danh"] == OWN_ID
    assert dossier.form_data["dien_thoai"] == "0912345678"
    assert (dossier.filing, dossier.filed_by, dossier.applicant_personal_id) == (
        Dossier.Filing.SELF,
        citizen,
        OWN_ID,
    )
    submitted = AuditRecord.objects.get(action="dossier.submitted")
    assert submitted.changes["filing"] == [None, "self"]


def test_api_on_behalf_without_the_authorisation_is_422_on_that_field(
    client, version, citizen, media_in_tmp
):
    client.force_login(citizen)
    response = post(client, body(on_behalf=ADULT))
    assert response.status_code == 422
    assert fields(response) == {("body", "attachments", "authorisation"): NEEDS_AUTHORISATION}
    nothing_saved(media_in_tmp)


def test_api_on_behalf_with_its_authorisation_is_recorded_and_shown_to_the_officer(
    client, office, citizen
):
    client.force_login(citizen)
    authorisation = {
        "component": "authorisation",
        "filename": "giay-uy-quyen.pdf",
        "content_base64": pdf64(),
    }
    response = post(client, body(attachments=[authorisation], on_behalf=ADULT))
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert dossier.filing == Dossier.Filing.ON_BEHALF
    assert (dossier.applicant_name, dossier.applicant_personal_id) == (
        "Lê Văn Cường",
        "066088004321",
    )
    assert (dossier.filed_by, dossier.filer_name, dossier.owner) == (
        citizen,
        "Nguyễn Văn An",
        citizen,
    )
    assert dossier.on_behalf_relation == "người được ủy quyền"
    assert dossier.form_data["ho_ten"] == "Lê Văn Cường"
    assert dossier.form_data["so_dinh_danh"] == "066088004321"
    [kept] = dossier.authorisation_files()
    assert (kept.slot, kept.component, kept.original_name) == (
        DossierFile.Slot.AUTHORISATION,
        None,
        "giay-uy-quyen.pdf",
    )
    changes = AuditRecord.objects.get(action="dossier.submitted").changes
    assert changes["filing"] == [None, "on_behalf"]
    assert changes["applicant"] == [None, {"name": "Lê Văn Cường", "personal_id": "066088004321"}]
    assert changes["on_behalf_relation"] == [None, "người được ủy quyền"]
    assert changes["authorisation"][1][0]["name"] == "giay-uy-quyen.pdf"

    desk = sign_in(Client(), office.tiepnhan)
    page = desk.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    line = "Nộp thay cho: Lê Văn Cường — người nộp: Nguyễn Văn An (người được ủy quyền)"
    assert line in page
    file_url = reverse("dossiers:office-file", args=[dossier.code, "giay-to", kept.pk])
    assert file_url in page and "giay-uy-quyen.pdf" in page
    assert desk.get(file_url).status_code == 200
    queue = desk.get(reverse("dossiers:office-queue", args=["cho-tiep-nhan"])).content.decode()
    assert "do Nguyễn Văn An nộp thay" in queue


def test_api_parent_files_for_a_minor_without_authorisation(client, version, citizen):
    client.force_login(citizen)
    child = {"name": "Nguyễn Thị Mai", "personal_id": CHILD_ID, "relation": "Cha/mẹ"}
    response = post(client, body(on_behalf=child))
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get()
    assert dossier.filing == Dossier.Filing.ON_BEHALF
    assert (dossier.applicant_personal_id, dossier.on_behalf_relation) == (CHILD_ID, "Cha/mẹ")
    assert dossier.authorisation_files() == []


def test_api_parent_of_an_adult_needs_the_authorisation(client, version, citizen):
    client.force_login(citizen)
    grown = {**ADULT, "relation": "cha/mẹ"}
    response = post(client, body(on_behalf=grown))
    assert fields(response) == {("body", "attachments", "authorisation"): NEEDS_AUTHORISATION}


@pytest.mark.parametrize(
    "personal_id, required",
    [
        ("066207001234", True),  # born 2007: 19 in 2026
        ("066208001234", True),  # born 2008: 18 on or before 31 December 2026, maybe already
        ("066209001234", False),  # born 2009: 17 at most, a minor all year
        (CHILD_ID, False),
    ],
    ids=["2007", "2008", "2009", "2015"],
)
def test_a_minor_is_one_who_cannot_be_18_yet_by_the_birth_year(personal_id, required):
    """Adult at 18 (Civil Code Art. 20). With only the birth year, someone born exactly 18
    calendar years before may already be 18: not taken for a minor."""
    parent = drafts.OnBehalf("Nguyễn Thị Mai", personal_id, "cha/mẹ")
    for day in (date(2026, 1, 1), date(2026, 12, 31)):
        assert drafts.authorisation_required(parent, on=day) is required


def test_the_relation_must_be_stated_and_the_person_be_another(client, version, citizen):
    client.force_login(citizen)
    response = post(client, body(on_behalf={"name": "Nguyễn Thị Mai", "personal_id": CHILD_ID}))
    assert fields(response) == {
        ("body", "on_behalf", "relation"): (
            "Vui lòng cho biết Ông/Bà là gì của người được nộp thay (quan hệ)."
        )
    }
    myself = {"name": "Nguyễn Văn An", "personal_id": OWN_ID, "relation": "cha/mẹ"}
    response = post(client, body(on_behalf=myself), key="nop-thay-000002")
    assert fields(response) == {
        ("body", "on_behalf", "personal_id"): (
            "Người được nộp thay là chính chủ tài khoản; hãy chọn nộp cho chính mình."
        )
    }
    assert Dossier.objects.count() == 0


def test_an_authorisation_without_filing_on_behalf_is_refused(client, version, citizen):
    client.force_login(citizen)
    extra = [{"component": "authorisation", "filename": "uq.pdf", "content_base64": pdf64()}]
    response = post(client, body(attachments=extra))
    assert fields(response) == {
        ("body", "attachments", "1", "component"): (
            "Chỉ đính kèm giấy ủy quyền khi nộp thay người khác."
        )
    }


def test_api_client_path_is_unchanged_and_recorded_as_filed_for_its_applicant(version):
    app, key = clients.issue("Cổng Dịch vụ công quốc gia", scopes=["dossiers.submit"], actor=None)
    applicant = {"personal_id": "066088004321", "full_name": "Lê Văn Cường", "phone": "0905123456"}
    form = {"ho_ten": "Lê Văn Cường", "so_dinh_danh": "066088004321", "ngay_sinh": "1988-05-12"}
    http = Client()
    response = post(http, body(form=form, applicant=applicant), **{"X-API-Key": key})
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get()
    assert dossier.submitted_by_client == app and dossier.filing == Dossier.Filing.SELF
    assert (dossier.applicant_personal_id, dossier.applicant_name) == (
        "066088004321",
        "Lê Văn Cường",
    )
    assert dossier.filed_by is None
    assert dossier.owner.citizen.personal_id == "066088004321"
    # a client names its applicant; declaring a filing on behalf is for accounts
    refused = post(
        http, body(applicant=applicant, on_behalf=ADULT), "nop-thay-000009", **{"X-API-Key": key}
    )
    assert fields(refused) == {
        ("body", "on_behalf"): (
            "Ứng dụng kết nối nộp hồ sơ cho người nộp ghi ở “applicant”; "
            "“on_behalf” chỉ dành cho tài khoản công dân."
        )
    }


# --- the pages -------------------------------------------------------------------------------
def _draft(client, version, citizen) -> Dossier:
    client.force_login(citizen)
    client.post(reverse("dossiers:start", args=[version.procedure.code]))
    return Dossier.objects.get(owner=citizen, state=Dossier.State.DRAFT)


def _ready(client, draft, version, citizen, form_post):
    form = client.post(reverse("dossiers:draft-form", args=[draft.pk]), form_post)
    assert form.status_code == 302, form.content.decode()[:2000]
    tk = version.components.get(code="TK")
    actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=citizen)
    actions.choose_delivery(draft, "online", user=citizen)


def test_page_self_filing_with_another_id_is_refused_and_not_kept(client, version, citizen):
    draft = _draft(client, version, citizen)
    form_url = reverse("dossiers:draft-form", args=[draft.pk])
    page = client.get(form_url).content.decode()
    assert OWN_ID in page and 'name="so_dinh_danh"' not in page  # shown, not an input
    # a request that still sends the fields (an old page, a crafted post) names another person
    response = client.post(
        form_url, {"ngay_sinh": "1990-05-12", "so_dinh_danh": "066195000777", "nop-thay": "0"}
    )
    assert response.status_code == 422
    assert NOT_HOLDER in response.content.decode()
    draft.refresh_from_db()
    assert draft.form_data["so_dinh_danh"] == OWN_ID and not draft.form_complete
    review = client.post(reverse("dossiers:draft-review", args=[draft.pk]))
    assert review.status_code == 422
    draft.refresh_from_db()
    assert draft.state == Dossier.State.DRAFT and draft.code is None


def test_page_on_behalf_needs_the_authorisation_then_is_shown_to_citizen_and_officer(
    client, office, citizen
):
    version = office.version
    draft = _draft(client, version, citizen)
    declared = {
        "nop-thay": "1",
        "on_behalf_name": "Lê Văn Cường",
        "on_behalf_personal_id": "066088004321",
        "on_behalf_relation": "người được ủy quyền",
        "ngay_sinh": "1988-05-12",
    }
    _ready(client, draft, version, citizen, declared)
    draft.refresh_from_db()
    assert draft.form_data["so_dinh_danh"] == "066088004321"
    assert draft.applicant_name == "Lê Văn Cường"
    files_page = client.get(reverse("dossiers:draft-files", args=[draft.pk])).content.decode()
    assert "Giấy ủy quyền (văn bản ủy quyền) của người được nộp thay" in files_page

    review_url = reverse("dossiers:draft-review", args=[draft.pk])
    refused = client.post(review_url)
    assert refused.status_code == 422 and NEEDS_AUTHORISATION in refused.content.decode()
    draft.refresh_from_db()
    assert draft.state == Dossier.State.DRAFT

    upload = client.post(
        reverse("dossiers:draft-upload", args=[draft.pk]),
        {"component": "authorisation", "files": [_upload("giay-uy-quyen.pdf")]},
    )
    assert upload.status_code == 302
    done = client.post(review_url)
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Dossier.State.SUBMITTED and draft.filing == Dossier.Filing.ON_BEHALF

    line = "Nộp thay cho: Lê Văn Cường — người nộp: Nguyễn Văn An (người được ủy quyền)"
    mine = client.get(reverse("dossiers:detail", args=[draft.code])).content.decode()
    assert line in mine and "giay-uy-quyen.pdf" in mine
    desk = sign_in(Client(), office.tiepnhan)
    officer = desk.get(reverse("dossiers:office-detail", args=[draft.code])).content.decode()
    assert line in officer and "giay-uy-quyen.pdf" in officer

    text = "\n".join(
        p.extract_text() or "" for p in PdfReader(io.BytesIO(render_receipt(draft))).pages
    )
    assert "Nguyễn Văn An" in text and "Lê Văn Cường" in text and "giay-uy-quyen.pdf" in text


def test_page_parent_for_a_child_without_authorisation(client, version, citizen):
    draft = _draft(client, version, citizen)
    child = {
        "nop-thay": "1",
        "on_behalf_name": "Nguyễn Thị Mai",
        "on_behalf_personal_id": CHILD_ID,
        "on_behalf_relation": "cha/mẹ",
        "ngay_sinh": "2015-03-08",
    }
    _ready(client, draft, version, citizen, child)
    assert client.post(reverse("dossiers:draft-review", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Dossier.State.SUBMITTED
    assert (draft.filing, draft.on_behalf_relation, draft.applicant_personal_id) == (
        Dossier.Filing.ON_BEHALF,
        "cha/mẹ",
        CHILD_ID,
    )
    assert draft.authorisation_files() == []
    note = draft.events.get(state=Dossier.State.SUBMITTED).note
    assert note == (
        "Hồ sơ đã được nộp trực tuyến: Nguyễn Văn An nộp thay cho Nguyễn Thị Mai (cha/mẹ)."
    )


def test_back_to_filing_for_oneself_drops_the_authorisation(client, version, citizen):
    draft = _draft(client, version, citizen)
    drafts.declare_filing(
        draft, drafts.OnBehalf("Lê Văn Cường", "066088004321", "người được ủy quyền"), user=citizen
    )
    drafts.attach_authorisation(draft, "uq.pdf", support.pdf_bytes(), user=citizen)
    drafts.declare_filing(draft, None, user=citizen)
    draft.refresh_from_db()
    assert draft.filing == Dossier.Filing.SELF and draft.authorisation_files() == []
    assert (draft.applicant_name, draft.applicant_personal_id) == ("Nguyễn Văn An", OWN_ID)
    with pytest.raises(actions.DossierError) as refused:
        drafts.attach_authorisation(draft, "uq.pdf", support.pdf_bytes(), user=citizen)
    assert refused.value.code.id == "dossiers.authorisation_not_on_behalf"
    assert AuditRecord.objects.filter(action="dossier.filing_declared").count() == 2


@pytest.mark.parametrize(
    "other",
    [
        ("Trần Thị Bình", "066088004321"),  # another name
        ("Lê Văn Cường", "066088009999"),  # another personal ID
    ],
    ids=["name", "personal ID"],
)
def test_declaring_another_person_drops_the_previous_authorisation(client, version, citizen, other):
    """The authorisation names the person first declared: it must not satisfy the check for
    someone else."""
    draft = _draft(client, version, citizen)
    relation = "người được ủy quyền"
    first = drafts.OnBehalf(ADULT["name"], ADULT["personal_id"], relation)
    drafts.declare_filing(draft, first, user=citizen)
    drafts.attach_authorisation(draft, "uq.pdf", support.pdf_bytes(), user=citizen)
    drafts.declare_filing(draft, drafts.OnBehalf(*other, relation), user=citizen)
    draft.refresh_from_db()
    assert (draft.applicant_name, draft.applicant_personal_id) == other
    assert draft.authorisation_files() == []
    assert not DossierFile.objects.filter(dossier=draft).exists()
    record = AuditRecord.objects.filter(action="dossier.filing_declared").latest("pk")
    assert record.changes["authorisation"] == [["uq.pdf"], None]
    assert drafts.filing_errors(draft)[drafts.AUTHORISATION_SLOT] == NEEDS_AUTHORISATION


def test_changing_only_the_relation_keeps_the_authorisation(client, version, citizen):
    draft = _draft(client, version, citizen)
    person = (ADULT["name"], ADULT["personal_id"])
    drafts.declare_filing(draft, drafts.OnBehalf(*person, "người được ủy quyền"), user=citizen)
    drafts.attach_authorisation(draft, "uq.pdf", support.pdf_bytes(), user=citizen)
    drafts.declare_filing(draft, drafts.OnBehalf(*person, "Cha/mẹ"), user=citizen)
    draft.refresh_from_db()
    assert [f.original_name for f in draft.authorisation_files()] == ["uq.pdf"]


def _upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, support.pdf_bytes("Giay uy quyen"))


@pytest.mark.django_db(transaction=True)
def test_existing_dossiers_are_self_filed_by_their_owner_after_the_migration(
    version, citizen, migrator
):
    old_apps = migrator([("dossiers", "0010_lookup_attempt_code")])
    old = old_apps.get_model("dossiers", "Dossier")
    common = {
        "version_id": version.pk,
        "agency_id": version.procedure.agency_id,
        "owner_id": citizen.pk,
        "applicant_name": "Nguyễn Văn An",
        "state": "submitted",
    }
    web = old.objects.create(code="000.00.03.H66-251124-0001", channel="web", **common)
    counter = old.objects.create(code="000.00.03.H66-251124-0002", channel="counter", **common)
    migrator([("dossiers", "0012_filer_and_applicant_id_of_existing_dossiers")])
    online, desk = Dossier.objects.get(pk=web.pk), Dossier.objects.get(pk=counter.pk)
    assert (online.filing, online.filed_by_id, online.filer_name) == (
        "self",
        citizen.pk,
        "Nguyễn Văn An",
    )
    assert (desk.filing, desk.filed_by_id, desk.filer_name) == ("self", None, "")
    assert online.applicant_personal_id == desk.applicant_personal_id == OWN_ID


def test_a_form_post_without_the_choice_keeps_the_declaration(client, version, citizen):
    draft = _draft(client, version, citizen)
    drafts.declare_filing(
        draft, drafts.OnBehalf("Nguyễn Thị Mai", CHILD_ID, "cha/mẹ"), user=citizen
    )
    form_url = reverse("dossiers:draft-form", args=[draft.pk])
    assert client.post(form_url, {"ngay_sinh": "2015-03-08"}).status_code == 302
    draft.refresh_from_db()
    assert draft.filing == Dossier.Filing.ON_BEHALF
    assert (draft.form_data["ho_ten"], draft.form_data["so_dinh_danh"]) == (
        "Nguyễn Thị Mai",
        CHILD_ID,
    )
    page = client.get(form_url).content.decode()
    assert 'id="nop-thay" checked' in page and "Người yêu cầu (người được nộp thay)" in page
