"""Registering real certificates: `tinhso documents add-certificate` takes the CA's PKCS#12 file
(password from the environment) into the keystore, or a certificate whose key stays on a USB
token; bad input is refused with the reason and registers nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tinhso.core.models import AuditRecord
from tinhso.documents import actions, pki, signing
from tinhso.documents.models import Certificate
from tinhso.people.models import Role


def add(*args: str) -> str:
    out = StringIO()
    call_command("documents", "add-certificate", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def official(make_official, agencies):
    return make_official("chuyenvien_ky", (Role.LEADER, agencies["SXD"]))


@pytest.fixture
def p12(tmp_path, test_ca, official):
    keys = pki.issue(test_ca, official.full_name, "Sở Xây dựng")
    path = tmp_path / "chu-ky.p12"
    path.write_bytes(keys.to_pkcs12(b"mat-khau-cua-CA", (test_ca.certificate,)))
    return path, keys


@pytest.mark.django_db
def test_a_pkcs12_file_goes_into_the_keystore_and_signs(monkeypatch, official, p12):
    path, keys = p12
    monkeypatch.setenv("TINHSO_PKCS12_PASSWORD", "mat-khau-cua-CA")
    line = add("--user", official.username, "--pkcs12", str(path))
    cert = Certificate.objects.get(owner_user=official)
    assert line.split("\t")[2] == format(keys.certificate.serial_number, "x")
    assert cert.pkcs11_uri == ""
    # The keystore copy is encrypted with the instance's passphrase, not the CA's password.
    with pytest.raises(ValueError):
        pki.load_pkcs12(bytes(cert.pkcs12), b"mat-khau-cua-CA")
    assert actions.user_certificate(official) == cert
    key = actions.signing_key(cert)
    pdf = signing.sign_pdf(
        _blank_pdf(), key, field_name="Ky", stamp_text="%(signer)s", box=(300, 100, 500, 160)
    )
    assert signing.verify_pdf(pdf, [keys.certificate]).signatures[0].intact
    assert AuditRecord.objects.filter(action="documents.certificate.add").count() == 1


@pytest.mark.django_db
def test_a_wrong_password_registers_nothing(monkeypatch, official, p12):
    path, _keys = p12
    monkeypatch.setenv("TINHSO_PKCS12_PASSWORD", "sai")
    with pytest.raises(CommandError, match="Sai mật khẩu hoặc tệp không phải PKCS#12"):
        add("--user", official.username, "--pkcs12", str(path))
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_the_same_certificate_twice_is_refused(monkeypatch, official, p12, agencies):
    path, _keys = p12
    monkeypatch.setenv("TINHSO_PKCS12_PASSWORD", "mat-khau-cua-CA")
    add("--user", official.username, "--pkcs12", str(path))
    with pytest.raises(CommandError, match="đã có trong danh sách"):
        add("--agency", agencies["SXD"].code, "--pkcs12", str(path))
    assert Certificate.objects.count() == 1


@pytest.mark.django_db
def test_a_token_certificate_keeps_only_where_the_key_is(tmp_path, test_ca, official):
    keys = pki.issue(test_ca, official.full_name, "Sở Xây dựng")
    pem = tmp_path / "cert.pem"
    pem.write_text(keys.certificate_pem)
    add(
        "--user",
        official.username,
        "--token-uri",
        "pkcs11:token=USB%20Token;object=ky-so",
        "--certificate",
        str(pem),
    )
    cert = Certificate.objects.get(owner_user=official)
    assert cert.pkcs11_uri == "pkcs11:token=USB%20Token;object=ky-so"
    assert cert.pkcs12 is None
    assert actions.user_certificate(official) == cert


@pytest.mark.django_db
def test_a_malformed_token_uri_or_an_expired_certificate_is_refused(tmp_path, test_ca, official):
    pem = tmp_path / "cert.pem"
    pem.write_text(pki.issue(test_ca, official.full_name, "Sở Xây dựng").certificate_pem)
    with pytest.raises(CommandError, match="Địa chỉ khóa PKCS#11 không hợp lệ"):
        add("--user", official.username, "--token-uri", "token=x", "--certificate", str(pem))
    old = pki.issue(
        test_ca, official.full_name, "Sở Xây dựng", now=datetime.now(UTC) - timedelta(days=3000)
    )
    pem.write_text(old.certificate_pem)
    with pytest.raises(CommandError, match="đã hết hạn"):
        add(
            "--user",
            official.username,
            "--token-uri",
            "pkcs11:token=x;object=k",
            "--certificate",
            str(pem),
        )
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_a_token_key_belongs_to_an_official_not_an_agency(tmp_path, agencies):
    pem = tmp_path / "cert.pem"
    pem.write_text("x")
    with pytest.raises(CommandError, match="use --user"):
        add(
            "--agency",
            agencies["SXD"].code,
            "--token-uri",
            "pkcs11:token=x",
            "--certificate",
            str(pem),
        )


def _blank_pdf() -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string="<p>Văn bản thử</p>").write_pdf())
