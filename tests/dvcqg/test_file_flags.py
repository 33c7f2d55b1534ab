"""The national flags of each submitted file (TaiLieuNop): DuocTaiSuDung is the file's own
`reused` mark, whatever it reused (an earlier result or any stored document), and
DuocLayTuKhoDMQG is set only when the stored document came from the national data store."""

from __future__ import annotations

from tests.dossiers import support
from tests.dossiers.backoffice import ready_draft
from tinhso.datastore import actions as store_actions
from tinhso.datastore.models import DocumentKind
from tinhso.dossiers import actions
from tinhso.dvcqg import fields, queries
from tinhso.people.models import Citizen


def _flags(dossier) -> list[tuple[str, int, int, int]]:
    record = fields.dossier_record(queries.dossier_facts(dossier))
    return [
        (f["TenTepDinhKem"], f["DuocSoHoa"], f["DuocTaiSuDung"], f["DuocLayTuKhoDMQG"])
        for f in record["TaiLieuNop"]
    ]


def test_a_national_store_document_is_reused_and_from_the_national_store(office):
    cccd = DocumentKind.objects.get(code="CCCD")
    national = store_actions.add_from_national_store(
        Citizen.objects.get(user=office.citizen),
        kind=cccd,
        file_name="cccd-quoc-gia.pdf",
        content=support.pdf_bytes("CCCD"),
        national_ref="https://kho.dichvucong.gov.vn/giay-to/066090001234",
        number="066090001234",
    )
    draft = ready_draft(office.version, office.citizen)
    component = office.version.components.get(code="CCCD")
    actions.attach_from_datastore(draft, component.pk, national.ref, user=office.citizen)
    dossier = actions.submit(draft, user=office.citizen)
    assert sorted(_flags(dossier)) == [
        ("Căn cước công dân 066090001234", 1, 1, 1),
        ("to-khai.pdf", 1, 0, 0),
    ]


def test_a_citizens_own_stored_upload_is_reused_but_not_from_the_national_store(office):
    cccd = DocumentKind.objects.get(code="CCCD")
    mine = store_actions.upload(
        user=office.citizen,
        kind=cccd,
        file_name="cccd.pdf",
        content=support.pdf_bytes("CCCD"),
        number="066090001234",
    )
    draft = ready_draft(office.version, office.citizen)
    component = office.version.components.get(code="CCCD")
    actions.attach_from_datastore(draft, component.pk, mine.ref, user=office.citizen)
    dossier = actions.submit(draft, user=office.citizen)
    assert sorted(_flags(dossier)) == [
        ("Căn cước công dân 066090001234", 1, 1, 0),
        ("to-khai.pdf", 1, 0, 0),
    ]
