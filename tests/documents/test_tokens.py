"""Signing with a key on a PKCS#11 token (USB token), against a SoftHSM token made for this
test session: the key is issued by the test CA and imported into the token; the registry
holds only the certificate and the token's RFC 7512 URI."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.tools import requires_tool
from tinhso.core.models import AuditRecord
from tinhso.documents import actions, pki, signing, tokens
from tinhso.documents.models import Certificate, Document

from .test_views import _sign_in

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
LABEL = "tinhso-test"
PIN = "246810"
URI = f"pkcs11:token={LABEL};object=lanhdao-sxd"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory, test_ca):
    """A SoftHSM token with its own token folder, holding one key issued by the test CA
    (label `lanhdao-sxd`, id 0x0a). Created before the module is first loaded."""
    if shutil.which("softhsm2-util") is None or not Path(MODULE).exists():
        pytest.skip("SoftHSM (softhsm2) is not installed: apt-get install softhsm2")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)

    def util(*args: str) -> None:
        subprocess.run(["softhsm2-util", *args], check=True, capture_output=True, timeout=60)

    util("--init-token", "--free", "--label", LABEL, "--pin", PIN, "--so-pin", "13579135")
    keys = pki.issue(test_ca, "Lãnh đạo ký bằng USB token", "Sở Xây dựng")
    key_file = folder / "key.pem"
    key_file.write_bytes(keys.key_pem())
    util(
        "--import",
        str(key_file),
        "--token",
        LABEL,
        "--label",
        "lanhdao-sxd",
        "--id",
        "0a",
        "--pin",
        PIN,
    )
    key_file.unlink()
    yield keys
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def _token_certificate(user, keys: pki.KeyPair, uri: str = URI) -> Certificate:
    """The leader's certificate in the registry: no keystore, the key is on the token."""
    Certificate.objects.filter(owner_user=user).delete()
    info = pki.describe(keys.certificate)
    return Certificate.objects.create(
        owner_user=user,
        subject=str(info["subject"]),
        serial=str(info["serial"]),
        issuer=str(info["issuer"]),
        not_before=keys.certificate.not_valid_before_utc,
        not_after=keys.certificate.not_valid_after_utc,
        certificate_pem=keys.certificate_pem,
        pkcs11_uri=uri,
        is_test=True,
    )


def _approved(office) -> Document:
    draft = actions.create_draft(
        office.agency, doc_type="QD", subject="Ký bằng USB token", signer=office.leader, actor=None
    )
    return actions.approve_draft(draft, actor=office.leader)


@pytest.fixture
def token_leader(offices, softhsm, settings):
    settings.DOCUMENTS_PKCS11_MODULE = MODULE
    sxd = offices["SXD"]
    cert = _token_certificate(sxd.leader, softhsm)
    return sxd, cert


@requires_tool("softhsm2-util", "pdfsig")
def test_the_leader_signs_with_the_token_over_the_api(client, token_leader, tmp_path):
    sxd, cert = token_leader
    assert cert.pkcs12 is None and actions.user_certificate(sxd.leader) == cert  # _HAS_KEY
    doc = _approved(sxd)
    _sign_in(client, sxd.leader)
    response = client.post(
        f"/api/v1/documents/{doc.pk}/sign", {"pin": PIN}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "signed"
    assert AuditRecord.objects.filter(action="documents.sign", object_id=str(doc.pk)).count() == 1
    data = bytes(actions.main_file(doc).data)
    check = signing.verify_pdf(data, actions.trusted_roots())
    assert check.ok, check
    assert len(check.signatures) == 1
    assert "Lãnh đạo ký bằng USB token" in check.signatures[0].signer
    assert check.signatures[0].field_name == "ChuKyNguoiCoThamQuyen"
    path = tmp_path / "token.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature is Valid." in out
    assert "Lãnh đạo ký bằng USB token" in out


@requires_tool("softhsm2-util")
def test_the_key_is_found_by_its_id_too(token_leader):
    sxd, cert = token_leader
    cert.pkcs11_uri = f"pkcs11:token={LABEL};id=%0A;type=private"
    cert.save()
    doc = actions.sign_document(_approved(sxd), signer=sxd.leader, pin=PIN)
    assert doc.state == Document.State.SIGNED
    assert signing.verify_pdf(bytes(actions.main_file(doc).data), actions.trusted_roots()).ok


@requires_tool("softhsm2-util")
def test_a_failure_after_login_closes_the_session_and_is_a_clear_error(token_leader):
    sxd, cert = token_leader
    good_pem = cert.certificate_pem
    cert.certificate_pem = "-----BEGIN CERTIFICATE-----\nhong\n-----END CERTIFICATE-----\n"
    cert.save()
    doc = _approved(sxd)
    with pytest.raises(actions.DocumentError, match="Thiết bị ký số báo lỗi: ValueError"):
        actions.sign_document(doc, signer=sxd.leader, pin=PIN)
    doc.refresh_from_db()
    assert doc.state == Document.State.APPROVED
    # The session was closed: the next signature logs in afresh and works.
    cert.certificate_pem = good_pem
    cert.save()
    assert actions.sign_document(doc, signer=sxd.leader, pin=PIN).state == Document.State.SIGNED


@requires_tool("softhsm2-util")
def test_a_wrong_pin_over_the_api_is_a_422_on_the_pin_and_changes_nothing(client, token_leader):
    sxd, _cert = token_leader
    doc = _approved(sxd)
    before = bytes(actions.main_file(doc).data)
    audits = AuditRecord.objects.count()
    _sign_in(client, sxd.leader)
    response = client.post(
        f"/api/v1/documents/{doc.pk}/sign", {"pin": "000000"}, content_type="application/json"
    )
    assert response.status_code == 422  # the signer corrects it by typing the PIN again
    assert response.json()["code"] == "documents.pin_rejected"
    assert response.json()["detail"] == [
        {
            "loc": ["body", "pin"],
            "field": "pin",
            "msg": "Mã PIN của thiết bị ký số không đúng.",
            "type": "documents.pin_rejected",
        }
    ]
    doc.refresh_from_db()
    assert doc.state == Document.State.APPROVED
    assert bytes(actions.main_file(doc).data) == before
    assert AuditRecord.objects.count() == audits


@requires_tool("softhsm2-util")
@pytest.mark.parametrize(
    ("uri", "pin", "module", "message"),
    [
        (URI, "", MODULE, "Cần nhập mã PIN của thiết bị ký số để ký."),
        (URI, PIN, "", "Máy chủ chưa được cấu hình để ký bằng thiết bị ký số (USB token)"),
        (
            "pkcs11:token=khong-co;object=lanhdao-sxd",
            PIN,
            MODULE,
            "Không tìm thấy thiết bị ký số “khong-co”: hãy cắm USB token và thử lại.",
        ),
        (
            f"pkcs11:token={LABEL};object=khong-co",
            PIN,
            MODULE,
            "Không tìm thấy khóa “khong-co” trên thiết bị ký số.",
        ),
        (
            f"pkcs11:token={LABEL};object=lanhdao-sxd?pin-value=246810",
            PIN,
            MODULE,
            "không lưu mã PIN trong địa chỉ; mã PIN được nhập khi ký",
        ),
        (
            f"pkcs11:token={LABEL};object=lanhdao-sxd?module-path=/tmp/khac.so",
            PIN,
            MODULE,
            "Địa chỉ khóa chỉ định module /tmp/khac.so, khác module được cấu hình.",
        ),
    ],
)
def test_token_failures_are_clear_and_change_nothing(
    token_leader, settings, uri, pin, module, message
):
    sxd, cert = token_leader
    cert.pkcs11_uri = uri
    cert.save()
    settings.DOCUMENTS_PKCS11_MODULE = module
    doc = _approved(sxd)
    before = bytes(actions.main_file(doc).data)
    with pytest.raises(actions.DocumentError) as err:
        actions.sign_document(doc, signer=sxd.leader, pin=pin)
    assert message in str(err.value)
    assert "246810" not in str(err.value)  # a PIN written into a URI is never echoed
    doc.refresh_from_db()
    assert doc.state == Document.State.APPROVED
    assert bytes(actions.main_file(doc).data) == before


@requires_tool("softhsm2-util")
def test_a_token_key_that_is_not_the_certificates_is_refused(token_leader, test_ca):
    sxd, _cert = token_leader
    _token_certificate(sxd.leader, pki.issue(test_ca, "Người khác", "Sở Xây dựng"))
    doc = _approved(sxd)
    with pytest.raises(actions.DocumentError, match="không khớp với chứng thư số"):
        actions.sign_document(doc, signer=sxd.leader, pin=PIN)
    doc.refresh_from_db()
    assert doc.state == Document.State.APPROVED


@requires_tool("softhsm2-util")
def test_a_token_certificate_cannot_sign_edxml_packages(token_leader):
    _sxd, cert = token_leader
    with pytest.raises(actions.DocumentError, match="chưa dùng được để ký gói tin edXML"):
        actions.key_pair(cert)


@requires_tool("softhsm2-util")
def test_an_agency_key_on_a_token_is_never_chosen_for_unattended_signing(token_leader):
    sxd, on_token = token_leader
    keystore = actions.agency_certificate(sxd.agency)
    # Newer than the keystore's, so only the rule keeps it from being chosen.
    Certificate.objects.filter(pk=on_token.pk).update(
        owner_user=None, owner_agency=sxd.agency, not_after=keystore.not_after + timedelta(days=1)
    )
    assert actions.agency_certificate(sxd.agency) == keystore
    Certificate.objects.filter(pk=keystore.pk).update(state=Certificate.State.REVOKED)
    with pytest.raises(actions.DocumentError, match="chưa có chứng thư số của cơ quan"):
        actions.agency_certificate(sxd.agency)


def test_the_uri_parts_are_read_as_rfc_7512_says():
    uri = tokens.parse_uri(
        "PKCS11:token=S%E1%BB%9F%20X%C3%A2y%20d%E1%BB%B1ng;serial=2da2;object=k%3B1;"
        "id=%01%ff;type=private;x-vendor=1?module-name=softhsm2"
    )
    assert uri == tokens.Pkcs11Uri(
        token="Sở Xây dựng",
        serial="2da2",
        object="k;1",
        id=b"\x01\xff",
        module_name="softhsm2",
    )
    tokens.check_module(uri, MODULE)  # module-name names the configured module


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("token=a;object=b", "phải bắt đầu bằng “pkcs11:”"),
        ("pkcs11:object=b", "thiếu tên thiết bị"),
        ("pkcs11:token=a", "thiếu tên khóa"),
        ("pkcs11:token=a;object=b;object=c", "thuộc tính “object” lặp lại"),
        ("pkcs11:token=a;objekt=b", "không hỗ trợ thuộc tính “objekt”"),
        ("pkcs11:token=a;object", "thành phần “object” thiếu dấu “=”"),
        ("pkcs11:token=a;object=b;type=cert", "“type” chỉ nhận “private”"),
        ("pkcs11:slot-id=x;object=b", "“slot-id” phải là số"),
        ("pkcs11:token=%ff;object=b", "giá trị của “token” không phải UTF-8"),
        ("pkcs11:token=a;object=b?pin-source=file:/pin", "không lưu mã PIN trong địa chỉ"),
    ],
)
def test_a_malformed_uri_is_refused_with_the_reason(uri, why):
    with pytest.raises(tokens.TokenError) as err:
        tokens.parse_uri(uri)
    assert err.value.reason == "bad_uri"
    assert str(err.value).startswith("Địa chỉ khóa PKCS#11 không hợp lệ")
    assert why in str(err.value)
