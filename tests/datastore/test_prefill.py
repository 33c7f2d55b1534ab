"""E-form prefill from the citizen's account and data store (datastore/prefill.py): the one
table and its configuration, which document a field is read from, what is not prefilled, the
citizen's own use recorded (not an official's read), and the form page showing each value
with its source."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dossiers.support import pdf_bytes
from tinhso.core.models import AuditRecord
from tinhso.datastore import actions, prefill
from tinhso.datastore.models import DocumentKind, StoredDocument, StoredDocumentRead
from tinhso.dossiers import actions as dossiers
from tinhso.dossiers.models import Dossier
from tinhso.people.models import Citizen

SCHEMA = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "Họ, chữ đệm, tên", "maxLength": 100},
        "applicant_birth_date": {
            "type": "string",
            "format": "date",
            "title": "Ngày sinh",
            "x-not-after": "today",
        },
        "applicant_address": {"type": "string", "title": "Nơi cư trú", "maxLength": 300},
        "applicant_id_card_number": {
            "type": "string",
            "title": "Số thẻ căn cước",
            "pattern": "^[0-9]{12}$",
        },
        "applicant_id_issued_on": {"type": "string", "format": "date", "title": "Ngày cấp"},
        "applicant_id_issuer": {"type": "string", "title": "Nơi cấp"},
        "birth_certificate_number": {"type": "string", "title": "Số giấy khai sinh"},
        "land_certificate_issued_on": {"type": "string", "title": "Ngày cấp sổ (ghi bằng chữ)"},
        "request": {"type": "string", "title": "Nội dung đề nghị"},
    },
    "required": ["applicant_name", "request"],
}
LAYOUT = {"prefill": {"applicant_name": "citizen.full_name"}}


def test_sources_parse_and_the_table_only_names_known_data(db):
    assert prefill.parse("citizen.address") == prefill.Source("citizen", "address")
    assert prefill.parse("store.CANCUOC,CCCD.issued_on") == prefill.Source(
        "store", "issued_on", ("CANCUOC", "CCCD")
    )
    for wrong in ("citizen.password", "store.CCCD.file", "store..number", "dossier.code", ""):
        assert prefill.parse(wrong) is None, wrong
    # every default of the one table parses and names a seeded document kind
    kinds = set(DocumentKind.objects.values_list("code", flat=True))
    for name, text in prefill.FIELD_SOURCES.items():
        source = prefill.parse(text)
        assert source is not None, name
        assert set(source.kinds) <= kinds, name


@pytest.mark.django_db
def test_the_setting_extends_replaces_and_removes_and_the_layout_wins(settings):
    settings.DATASTORE_PREFILL_FIELDS = json.dumps(
        {
            "so_giay_khai_sinh": "store.GKS.number",
            "applicant_address": "",  # removed
            "birth_certificate_number": "store.TL-HT.number",  # replaced
            "bad": "store.CCCD.file",  # ignored: not a source
        }
    )
    table = prefill.configured()
    assert table["so_giay_khai_sinh"] == "store.GKS.number"
    assert "applicant_address" not in table and "bad" not in table
    assert table["birth_certificate_number"] == "store.TL-HT.number"
    settings.DATASTORE_PREFILL_FIELDS = "not json"
    assert prefill.configured() == prefill.FIELD_SOURCES
    settings.DATASTORE_PREFILL_FIELDS = "[1, 2]"
    assert prefill.configured() == prefill.FIELD_SOURCES
    # the procedure's layout names its own source for a field, whatever the table says
    found = prefill.mapping(SCHEMA, {"prefill": {"request": "citizen.address"}})
    assert found["request"] == prefill.Source("citizen", "address", declared=True)
    assert found["applicant_id_card_number"].kinds == ("CANCUOC", "CCCD")
    assert "land_certificate_issued_on" in found and "request" in found


@pytest.fixture
def stored(citizen):
    """The citizen's profile with a birth date and an address, and their store: an uploaded
    CCCD, an agency-sealed one (preferred), an expired thẻ căn cước (never used)."""
    Citizen.objects.filter(user=citizen).update(
        date_of_birth=date(1990, 5, 17), address="12 Lê Duẩn, phường Buôn Ma Thuột"
    )
    kinds = {k.code: k for k in DocumentKind.objects.all()}
    uploaded = actions.upload(
        user=citizen,
        kind=kinds["CCCD"],
        file_name="cccd.pdf",
        content=pdf_bytes("CCCD cu"),
        number="066090001111",
        issuer_name="Công an tỉnh Đắk Lắk",
        issued_on=date(2021, 4, 1),
    )
    owner = Citizen.objects.get(user=citizen)
    sealed = StoredDocument.objects.create(
        citizen=owner,
        kind=kinds["CCCD"],
        provenance=StoredDocument.Provenance.NATIONAL_STORE,
        number="066090001234",
        issuer_name="Cục Cảnh sát QLHC về TTXH",
        issued_on=date(2019, 3, 2),
        file=uploaded.file.name,
        file_name="cccd-quoc-gia.pdf",
        file_kind="pdf",
        size=uploaded.size,
        sha256=uploaded.sha256,
        signature=StoredDocument.Signature.AGENCY_VERIFIED,
    )
    expired = actions.upload(
        user=citizen,
        kind=kinds["CANCUOC"],
        file_name="the.pdf",
        content=pdf_bytes("The can cuoc"),
        number="066090009999",
        issued_on=date(2010, 1, 1),
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    birth = actions.upload(
        user=citizen,
        kind=kinds["GKS"],
        file_name="gks.pdf",
        content=pdf_bytes("GKS"),
        number="125/1990",
        issued_on=date(1990, 6, 1),
    )
    land = actions.upload(
        user=citizen,
        kind=kinds["GCN-QSDD"],
        file_name="so-do.pdf",
        content=pdf_bytes("So do"),
        number="CS 01234",
        issued_on=date(2015, 8, 9),
    )
    return {
        "uploaded": uploaded,
        "sealed": sealed,
        "expired": expired,
        "birth": birth,
        "land": land,
    }


def test_values_come_from_the_profile_and_the_best_valid_document(citizen, stored):
    found = prefill.resolve(SCHEMA, LAYOUT, citizen)
    assert found.values == {
        "applicant_name": "Nguyễn Văn An",
        "applicant_birth_date": "1990-05-17",
        "applicant_address": "12 Lê Duẩn, phường Buôn Ma Thuột",
        # the expired thẻ căn cước is skipped for the CCCD; the sealed CCCD beats the upload
        "applicant_id_card_number": "066090001234",
        "applicant_id_issued_on": "2019-03-02",
        "applicant_id_issuer": "Cục Cảnh sát QLHC về TTXH",
        "birth_certificate_number": "125/1990",
        "land_certificate_issued_on": "09/08/2015",  # a date in a text field, as people write it
    }
    labels = {name: item.label for name, item in found.fields.items()}
    assert labels["applicant_address"] == "Lấy từ tài khoản"
    assert labels["applicant_id_card_number"] == (
        "Lấy từ kho dữ liệu: Căn cước công dân, số 066090001234"
    )
    assert labels["birth_certificate_number"] == "Lấy từ kho dữ liệu: Giấy khai sinh, số 125/1990"
    assert found.documents() == {
        stored["sealed"].pk: [
            "applicant_id_card_number",
            "applicant_id_issued_on",
            "applicant_id_issuer",
        ],
        stored["birth"].pk: ["birth_certificate_number"],
        stored["land"].pk: ["land_certificate_issued_on"],
    }


def test_a_value_the_field_would_refuse_is_not_prefilled(
    citizen, stored, django_assert_num_queries
):
    StoredDocument.objects.filter(pk=stored["sealed"].pk).update(number="CCCD-066")
    schema = {
        "type": "object",
        "properties": {
            "applicant_id_card_number": SCHEMA["properties"]["applicant_id_card_number"],
            "applicant_address": {"type": "string", "title": "Nơi cư trú", "maxLength": 5},
            "birth_certificate_number": {"type": "integer", "title": "Số"},
        },
    }
    with django_assert_num_queries(2):  # the citizen record, their documents of those kinds
        found = prefill.resolve(schema, {}, citizen)
    # the sealed CCCD's number breaks the pattern; the upload is not tried instead (the best
    # document is the one read, a worse one is not guessed); too long; not a text field
    assert found.values == {}
    assert prefill.resolve(SCHEMA, LAYOUT, None).values == {}


def test_a_new_draft_takes_the_values_and_records_the_citizens_own_use(citizen, stored, agencies):
    from tests.dossiers.conftest import make_version

    version = make_version(agencies["STP"], code="9.000001")
    version.eform_schema, version.eform_layout = SCHEMA, LAYOUT
    version.save()
    draft = dossiers.start_draft(version, user=citizen)
    assert draft.form_data["applicant_id_card_number"] == "066090001234"
    assert draft.form_data["applicant_name"] == "Nguyễn Văn An"
    uses = AuditRecord.objects.filter(action="datastore.used_for_prefill").order_by("object_id")
    assert [(r.object_id, r.actor_id) for r in uses] == sorted(
        (str(stored[k].pk), citizen.pk) for k in ("sealed", "birth", "land")
    )
    record = uses.get(object_id=str(stored["birth"].pk))
    assert record.changes["dossier"] == [None, draft.pk]
    assert record.changes["fields"] == [None, ["birth_certificate_number"]]
    # the owner's own use is not an official's read: "Ai đã xem" stays empty
    assert StoredDocumentRead.objects.count() == 0


def test_the_form_page_shows_each_value_with_its_source_and_keeps_the_citizens_edit(
    client, citizen, stored, agencies
):
    from tests.dossiers.conftest import make_version

    version = make_version(agencies["STP"], code="9.000002")
    version.eform_schema, version.eform_layout = SCHEMA, LAYOUT
    version.save()
    client.force_login(citizen)
    response = client.post(reverse("dossiers:start", args=[version.procedure.code]))
    url = response["Location"]
    page = client.get(url).content.decode()
    # an editable input with the value, and its source beside it, read with the field
    assert 'name="applicant_id_card_number" value="066090001234"' in page
    assert 'aria-describedby="ef-applicant_id_card_number-source"' in page
    assert (
        '<p class="ef-source" id="ef-applicant_id_card_number-source" data-source>'
        "Lấy từ kho dữ liệu: Căn cước công dân, số 066090001234</p>"
    ) in page
    assert (
        '<p class="ef-source" id="ef-applicant_address-source" data-source>Lấy từ tài khoản</p>'
    ) in page
    assert 'value="1990-05-17"' in page
    # the citizen changes a prefilled value: it is theirs, no source is claimed for it
    form = {
        "nop-thay": "0",
        "applicant_address": "45 Nguyễn Tất Thành",
        "applicant_id_card_number": "066090001234",
        "request": "Cấp phiếu",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'value="45 Nguyễn Tất Thành"' in page
    assert 'id="ef-applicant_address-source"' not in page
    assert 'id="ef-applicant_id_card_number-source"' in page


def test_the_address_is_the_one_kept_on_the_account_page_first(citizen, stored):
    from tinhso.people import actions as people

    people.update_own_details(citizen, full_name="Nguyễn Văn An", address="7 Phan Bội Châu")
    found = prefill.resolve(SCHEMA, LAYOUT, citizen)
    assert found.values["applicant_address"] == "7 Phan Bội Châu"
    # a layout naming citizen.address reads it the same way
    layout = {"prefill": {"applicant_address": "citizen.address"}}
    assert prefill.resolve(SCHEMA, layout, citizen).values["applicant_address"] == (
        "7 Phan Bội Châu"
    )


ON_BEHALF = {
    "nop-thay": "1",
    "on_behalf_name": "Lê Văn Cường",
    "on_behalf_personal_id": "066088004321",
    "on_behalf_relation": "người được ủy quyền",
}
FILERS = (  # prefilled from the filer's own account and store (the `stored` fixture)
    "applicant_birth_date",
    "applicant_address",
    "applicant_id_card_number",
    "applicant_id_issued_on",
    "applicant_id_issuer",
    "birth_certificate_number",
    "land_certificate_issued_on",
)


def _version(agencies, code, layout=LAYOUT):
    from tests.dossiers.conftest import make_version

    version = make_version(agencies["STP"], code=code)
    version.eform_schema, version.eform_layout = SCHEMA, layout
    version.save()
    return version


def test_filing_on_behalf_withdraws_the_filers_prefill_still_as_given(citizen, stored, agencies):
    from tinhso.dossiers.actions import drafts

    draft = dossiers.start_draft(_version(agencies, "9.000003"), user=citizen)
    assert set(FILERS) <= set(draft.form_data)
    # the filer changes one value first: it is theirs now, and stays
    edited = {**draft.form_data, "applicant_address": "45 Nguyễn Tất Thành", "request": "Cấp"}
    dossiers.save_form(draft, edited, user=citizen)
    person = drafts.OnBehalf("Lê Văn Cường", "066088004321", "người được ủy quyền")
    withdrawn = drafts.declare_filing(draft, person, user=citizen)
    assert set(withdrawn) == set(FILERS) - {"applicant_address"} | {"applicant_name"}
    draft.refresh_from_db()
    assert draft.form_data == {"applicant_address": "45 Nguyễn Tất Thành", "request": "Cấp"}
    record = AuditRecord.objects.filter(action="dossier.filing_declared").get()
    assert record.changes["prefill_withdrawn"] == [sorted(withdrawn), None]
    # the save that comes with the declaration (the page posts both) does not bring the
    # withdrawn values back from the inputs that still showed them...
    stale = {**withdrawn, "applicant_address": "45 Nguyễn Tất Thành", "request": "Cấp"}
    dossiers.save_form(draft, stale, user=citizen)
    draft.refresh_from_db()
    assert set(draft.form_data) == {"applicant_name", "applicant_address", "request"}
    # ...and the represented person's values given by the filer afterwards are kept (even
    # one equal to the filer's own); the identity is the declared person's
    given = {"applicant_birth_date": "1990-05-17", "request": "Cấp"}
    assert dossiers.save_form(draft, given, user=citizen) == {}
    draft.refresh_from_db()
    assert draft.form_data["applicant_birth_date"] == "1990-05-17"
    assert draft.form_data["applicant_name"] == "Lê Văn Cường"
    # declaring again (the same person, or back to oneself) withdraws nothing more
    assert drafts.declare_filing(draft, person, user=citizen) == {}
    assert drafts.declare_filing(draft, None, user=citizen) == {}


def test_the_form_page_posting_nop_thay_keeps_none_of_the_filers_values_or_labels(
    client, citizen, stored, agencies
):
    version = _version(agencies, "9.000004")
    client.force_login(citizen)
    url = client.post(reverse("dossiers:start", args=[version.procedure.code]))["Location"]
    draft = Dossier.objects.get(owner=citizen)
    # what the browser sends: the declaration, and the inputs as the page showed them
    shown = {name: value for name, value in draft.form_data.items() if name != "applicant_name"}
    response = client.post(url, {**ON_BEHALF, **shown, "request": "Cấp phiếu"})
    draft.refresh_from_db()
    assert draft.is_on_behalf
    for name in FILERS:
        assert name not in draft.form_data, name
    assert draft.form_data["applicant_name"] == "Lê Văn Cường"
    assert response.status_code == 302  # none of the withdrawn fields is required
    page = client.get(url).content.decode()
    assert 'class="ef-source"' not in page and 'value="066090001234"' not in page
    assert "Lê Duẩn" not in page and "1990-05-17" not in page


def test_identity_fields_come_from_the_prefill_table_without_a_layout(
    client, citizen, stored, agencies
):
    from tinhso.dossiers.actions import drafts

    Citizen.objects.filter(user=citizen).update(personal_id="066090001234")
    schema = {
        **SCHEMA,
        "properties": {
            **SCHEMA["properties"],
            "applicant_id": {"type": "string", "title": "Số định danh"},
        },
    }
    version = _version(agencies, "9.000005", layout={})
    version.eform_schema = schema
    version.save()
    assert drafts.identity_fields(version) == {
        "full_name": "applicant_name",
        "personal_id": "applicant_id",
    }
    draft = dossiers.start_draft(version, user=citizen)
    assert draft.form_data["applicant_id"] == "066090001234"
    # filled from the account, so checked against it: another person's name is refused
    problems = dossiers.save_form(
        draft, {"applicant_name": "Trần Văn Khác", "request": "Cấp"}, user=citizen
    )
    assert set(problems) == {"applicant_name"}
    client.force_login(citizen)
    page = client.get(reverse("dossiers:draft-form", args=[draft.pk])).content.decode()
    assert 'name="applicant_name"' not in page and 'name="applicant_id"' not in page
    # on behalf: the declared person's name and number, never the filer's
    person = drafts.OnBehalf("Lê Văn Cường", "066088004321", "người được ủy quyền")
    drafts.declare_filing(draft, person, user=citizen)
    assert dossiers.save_form(draft, {"request": "Cấp"}, user=citizen) == {}
    draft.refresh_from_db()
    assert draft.form_data["applicant_name"] == "Lê Văn Cường"
    assert draft.form_data["applicant_id"] == "066088004321"
