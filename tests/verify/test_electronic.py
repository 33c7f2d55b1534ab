"""The electronic result: the attached PDF, signed with the deciding agency's seal, its QR
code to /xac-thuc/<code>, the code in text; pdfsig and zbarimg read it back."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from tests.dossiers import support
from tests.tools import requires_tool
from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions as dossier_actions
from tinhso.verify import actions, codes
from tinhso.verify.models import ElectronicResult

pytestmark = pytest.mark.django_db


def _stored(result) -> bytes:
    with result.file.open("rb") as f:
        return f.read()


def test_the_attached_pdf_is_stored_signed_with_its_code(issued, seal, settings):
    electronic = ElectronicResult.objects.get()
    content = _stored(issued.result)
    assert content.startswith(issued.original)  # an incremental update of the clerk's file
    assert len(content) > len(issued.original)
    sha = hashlib.sha256(content).hexdigest()
    assert (issued.result.sha256, issued.result.size) == (sha, len(content))
    assert (electronic.result, electronic.sha256) == (issued.result, sha)
    assert codes.normalise(electronic.code) == electronic.code and len(electronic.code) == 16
    assert (electronic.number, electronic.issuer, electronic.issuer_name) == (
        issued.dossier.code,
        issued.dossier.agency,
        "Sở Tư pháp tỉnh Đắk Lắk",
    )
    assert electronic.kind_name == issued.dossier.version.result_name
    assert (electronic.certificate, electronic.signer) == (seal, seal.subject)
    assert actions.check_signature(content).valid
    sealed = AuditRecord.objects.get(action="verify.result_sealed")
    assert sealed.changes == {"electronic": [None, {"result": issued.result.pk, "sha256": sha}]}


def test_two_results_get_different_codes(office, approved, seal):
    first = dossier_actions.attach_result(
        approved, "Kết quả 1", support.pdf_bytes("a"), officer=office.vanthu
    )
    second = dossier_actions.attach_result(
        approved, "Kết quả 2", support.pdf_bytes("b"), officer=office.vanthu
    )
    assert first.electronic.code != second.electronic.code


def test_without_an_agency_certificate_the_file_is_attached_as_it_came(office, approved):
    original = support.pdf_bytes("khong co con dau")
    result = dossier_actions.attach_result(approved, "Kết quả", original, officer=office.vanthu)
    assert _stored(result) == original
    assert not ElectronicResult.objects.exists()
    assert not AuditRecord.objects.filter(action="verify.result_sealed").exists()


def test_a_refused_attach_seals_nothing_and_keeps_nothing(office, approved, seal):
    before = ElectronicResult.objects.count()
    with pytest.raises(Exception):  # noqa: B017 (the dossier's own refusal)
        dossier_actions.attach_result(
            approved, "Kết quả", support.pdf_bytes("x"), officer=office.outsider
        )
    assert ElectronicResult.objects.count() == before
    assert not approved.results.exists()


def test_the_result_returned_enters_the_store_as_the_signed_file(office, issued):
    from tinhso.core import outbox
    from tinhso.datastore.models import StoredDocument

    dossier_actions.mark_ready(issued.dossier, officer=office.vanthu)
    dossier_actions.return_result(issued.dossier, officer=office.tiepnhan, how="online")
    while outbox.run_once():
        pass
    stored = StoredDocument.objects.get()
    assert (stored.file.name, stored.sha256) == (issued.result.file.name, issued.result.sha256)
    assert stored.sha256 == ElectronicResult.objects.get().sha256


@requires_tool("pdfsig")
def test_pdfsig_finds_the_agency_signature_valid(issued, tmp_path):
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(_stored(issued.result))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert "Signature Validation: Signature is Valid." in out.stdout
    assert "Total document signed" in out.stdout
    assert "Sở Tư pháp tỉnh Đắk Lắk" in out.stdout  # the agency's certificate signed it


@requires_tool("pdftoppm", "zbarimg", "pdftotext")
def test_the_qr_code_decodes_to_the_verification_page_and_the_code_is_printed(
    issued, tmp_path, settings
):
    electronic = ElectronicResult.objects.get()
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(_stored(issued.result))
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-l", "1", str(path), str(tmp_path / "trang")],
        check=True,
        timeout=60,
    )
    image = next(tmp_path.glob("trang*.png"))
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, timeout=60
    )
    url = f"{settings.SITE_URL.rstrip('/')}/xac-thuc/{electronic.code}"
    assert out.stdout.strip() == url
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, timeout=60
    ).stdout
    flat = "".join(text.split())
    assert f"Mãxácthực:{codes.printed(electronic.code)}" in flat
    assert url in flat


def test_codes_are_normalised_and_printed_in_groups():
    code = codes.new_code()
    assert codes.normalise(codes.printed(code).lower()) == code
    assert codes.normalise(" " + codes.printed(code) + " ") == code
    assert codes.normalise("ABCD-EFGH-JKMN-PQR0") == ""  # 0 is not in the alphabet
    assert codes.normalise("ABCD") == ""
    assert codes.printed("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"


@requires_tool("pdfsig")
def test_a_pdf_already_signed_by_the_documents_module_keeps_its_signature(
    office, approved, seal, test_ca, tmp_path
):
    """The documents module hands over a PDF its leader signed: the seal is added after it,
    and both signatures stay valid (an incremental update)."""
    from tinhso.documents import pki, signing

    keys = pki.issue(test_ca, "Phạm Minh Đức", "Sở Tư pháp tỉnh Đắk Lắk")
    leader = signing.SigningKey(keys.to_pkcs12(b"pw", (test_ca.certificate,)), b"pw")
    signed_by_leader = signing.sign_pdf(
        support.pdf_bytes("Quyet dinh so 7"),
        leader,
        field_name="ChuKyLanhDao",
        stamp_text="Phạm Minh Đức\n%(ts)s",
        box=signing.SIGNER_BOX,
    )
    result = dossier_actions.attach_result(
        approved, "Quyết định số 7", signed_by_leader, officer=office.vanthu
    )
    content = _stored(result)
    verification = signing.verify_pdf(content, [test_ca.certificate], revocation="off")
    assert [(s.field_name, s.ok) for s in verification.signatures] == [
        ("ChuKyLanhDao", True),
        ("KetQuaDienTu", True),
    ]
    assert actions.check_signature(content).valid
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert out.stdout.count("Signature Validation: Signature is Valid.") == 2


def test_without_a_result_name_the_kind_is_the_procedure_never_the_file_name(
    office, approved, seal
):
    version = approved.version
    type(version).objects.filter(pk=version.pk).update(result_name="")
    approved.version.refresh_from_db()
    result = dossier_actions.attach_result(
        approved, "QD_NguyenVanA.pdf", support.pdf_bytes("a"), officer=office.vanthu
    )
    assert result.electronic.kind_name == version.name
    assert ElectronicResult.objects.get().kind_name == version.name
    assert "NguyenVanA" not in version.name
