"""Signatures and certificates (ký số, chứng thư số): the key of a certificate (the embedded
keystore, a PKCS#11 token or the remote signing service), the registry of certificates
(import, token registration, revocation), the check of a PDF's signatures against the trusted
roots, and the competent person's signature (ký số người có thẩm quyền, Decree 30/2020/NĐ-CP).
Signing happens before the transaction (see `_common`).
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tinhso.core import audit
from tinhso.documents import errors, permissions, pki, remote, signing, tokens
from tinhso.documents.actions._common import (
    PDF,
    _file,
    _files_of,
    _fresh,
    _locked,
    _now,
    _refuse_active_content,
    _still,
    _transition,
    main_file,
)
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Certificate, Document, DocumentFile, TrustedRoot
from tinhso.places.models import Agency


def _token_refusal(exc: tokens.TokenError) -> DocumentError:
    """A token's failure as the person sees it: a wrong or missing PIN is theirs to correct
    (on the `pin` field); a missing, locked or misconfigured token is a conflict."""
    if exc.reason in tokens.PIN_REASONS:
        return errors.invalid(errors.PIN_REJECTED, "pin", str(exc))
    return DocumentError(errors.TOKEN_FAILED, str(exc))


def _sign_pdf(pdf: bytes, key: signing.KeySource, **options: Any) -> bytes:
    """Sign, turning the signer's failures into a DocumentError (nothing is saved). May use
    the network (remote service, token, timestamp server): never call it in a transaction."""
    try:
        return signing.sign_pdf(pdf, key, **options)
    except tokens.TokenError as exc:
        raise _token_refusal(exc) from None
    except signing.SigningError as exc:
        raise DocumentError(errors.SIGNING_FAILED, str(exc)) from None
    except remote.RemoteSigningError as exc:
        raise DocumentError(errors.REMOTE_SIGNING_FAILED, str(exc)) from None


def _passphrase() -> bytes:
    return pki.passphrase(settings.SECRET_KEY)


def signing_key(certificate: Certificate, pin: str = "") -> signing.KeySource:
    """The key of `certificate`: a PKCS#11 token (logged in with `pin`), the remote signing
    service, or the embedded keystore."""
    if certificate.state != Certificate.State.ACTIVE:
        raise DocumentError(errors.CERTIFICATE_INACTIVE)
    if certificate.pkcs11_uri:
        chain = [r.certificate_pem for r in TrustedRoot.objects.filter(is_active=True)]
        try:
            return tokens.TokenKey(
                uri=certificate.pkcs11_uri,
                module=settings.DOCUMENTS_PKCS11_MODULE,
                pin=pin,
                certificate_pem=certificate.certificate_pem,
                chain_pems=tuple(chain),
            )
        except tokens.TokenError as exc:
            raise _token_refusal(exc) from None
    if certificate.remote_url and certificate.remote_credential_id:
        chain = [r.certificate_pem for r in TrustedRoot.objects.filter(is_active=True)]
        return remote.RemoteSigningKey(
            base_url=certificate.remote_url,
            credential_id=certificate.remote_credential_id,
            certificate_pem=certificate.certificate_pem,
            chain_pems=tuple(chain),
            token=settings.DOCUMENTS_REMOTE_SIGNING_TOKEN,
        )
    if certificate.pkcs12 is None:
        raise DocumentError(errors.NO_KEY)
    return signing.SigningKey(bytes(certificate.pkcs12), _passphrase())


def key_pair(certificate: Certificate) -> pki.KeyPair:
    """The key itself, for XML signatures (edXML); only the embedded keystore gives it out."""
    if certificate.pkcs12 is None and certificate.pkcs11_uri:
        raise DocumentError(errors.TOKEN_KEY_FOR_EDXML)
    if certificate.pkcs12 is None:
        raise DocumentError(errors.NO_KEYSTORE_KEY)
    keys, _chain = pki.load_pkcs12(bytes(certificate.pkcs12), _passphrase())
    return keys


_HAS_KEY = Q(pkcs12__isnull=False) | ~Q(remote_credential_id="") | ~Q(pkcs11_uri="")


def agency_certificate(agency: Agency) -> Certificate:
    """The agency's signing certificate. Its key must be usable without a person present
    (issuing signs attachments and edXML packages unattended): the keystore or a remote
    signing service, never a token that asks for a PIN."""
    cert = (
        Certificate.objects.filter(owner_agency=agency, state=Certificate.State.ACTIVE)
        .filter(_HAS_KEY)
        .filter(pkcs11_uri="")
        .order_by("-not_after")
        .first()
    )
    if cert is None:
        raise DocumentError(errors.NO_AGENCY_CERTIFICATE, agency=agency.name)
    return cert


def user_certificate(user: Any) -> Certificate:
    cert = (
        Certificate.objects.filter(owner_user=user, state=Certificate.State.ACTIVE)
        .filter(_HAS_KEY)
        .order_by("-not_after")
        .first()
    )
    if cert is None:
        raise DocumentError(errors.NO_SIGNER_CERTIFICATE)
    return cert


def trusted_roots() -> list[x509.Certificate]:
    return [
        pki.load_certificate(r.certificate_pem) for r in TrustedRoot.objects.filter(is_active=True)
    ]


def add_certificate(
    keys: pki.KeyPair,
    *,
    owner_user: Any = None,
    owner_agency: Agency | None = None,
    chain: tuple[x509.Certificate, ...] = (),
    is_test: bool = False,
    stamp_image: bytes | None = None,
    actor: Any = None,
) -> Certificate:
    """Put a certificate and its key into the registry and the embedded keystore."""
    info = pki.describe(keys.certificate)
    with transaction.atomic():
        cert = Certificate.objects.create(
            owner_user=owner_user,
            owner_agency=owner_agency,
            subject=str(info["subject"])[:500],
            issuer=str(info["issuer"])[:500],
            serial=str(info["serial"]),
            not_before=keys.certificate.not_valid_before_utc,
            not_after=keys.certificate.not_valid_after_utc,
            certificate_pem=keys.certificate_pem,
            pkcs12=keys.to_pkcs12(_passphrase(), chain),
            is_test=is_test,
            stamp_image=stamp_image,
        )
        audit.record("documents.certificate.add", cert, actor=actor)
    return cert


def _check_new_certificate(cert: x509.Certificate) -> dict[str, object]:
    info = pki.describe(cert)
    if cert.not_valid_after_utc <= _now():
        raise errors.invalid(errors.CERTIFICATE_EXPIRED, "certificate")
    if Certificate.objects.filter(issuer=info["issuer"], serial=info["serial"]).exists():
        raise DocumentError(errors.CERTIFICATE_EXISTS)
    return info


def import_pkcs12(
    data: bytes,
    password: bytes,
    *,
    owner_user: Any = None,
    owner_agency: Agency | None = None,
    stamp_image: bytes | None = None,
    actor: Any,
) -> Certificate:
    """An official's or agency's key file (.p12/.pfx, as the CA delivers it) into the embedded
    keystore, re-encrypted with the instance's passphrase; the file's password is not kept."""
    if (owner_user is None) == (owner_agency is None):
        raise errors.invalid(errors.OWNER_REQUIRED, "owner")
    try:
        keys, chain = pki.load_pkcs12(data, password)
    except pki.KeyFileError as exc:  # a readable file without an RSA key and certificate
        raise errors.invalid(errors.PKCS12_UNREADABLE, "pkcs12", str(exc)) from None
    except ValueError:  # wrong password, or not PKCS#12 at all
        raise errors.invalid(errors.PKCS12_UNREADABLE, "pkcs12") from None
    _check_new_certificate(keys.certificate)
    return add_certificate(
        keys,
        owner_user=owner_user,
        owner_agency=owner_agency,
        chain=tuple(chain),
        stamp_image=stamp_image,
        actor=actor,
    )


def register_token_certificate(
    certificate_pem: str | bytes,
    pkcs11_uri: str,
    *,
    owner_user: Any,
    stamp_image: bytes | None = None,
    actor: Any,
) -> Certificate:
    """An official's certificate whose key stays on a USB token (PKCS#11): the registry keeps
    the certificate and where the key is, never the key or the PIN."""
    try:
        tokens.parse_uri(pkcs11_uri)  # a malformed URI is refused now, not at signing time
    except tokens.TokenError as exc:
        raise errors.invalid(errors.BAD_TOKEN_URI, "token_uri", str(exc)) from None
    try:
        cert = pki.load_certificate(certificate_pem)
    except ValueError:
        raise errors.invalid(errors.CERTIFICATE_UNREADABLE, "certificate") from None
    info = _check_new_certificate(cert)
    with transaction.atomic():
        registered = Certificate.objects.create(
            owner_user=owner_user,
            subject=str(info["subject"])[:500],
            issuer=str(info["issuer"])[:500],
            serial=str(info["serial"]),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            pkcs11_uri=pkcs11_uri.strip(),
            stamp_image=stamp_image,
        )
        audit.record("documents.certificate.add", registered, actor=actor)
    return registered


def revoke_certificate(certificate: Certificate, *, actor: Any) -> Certificate:
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
        before = audit.snapshot(cert, ["state"])
        cert.state = Certificate.State.REVOKED
        cert.save(update_fields=["state"])
        audit.record(
            "documents.certificate.revoke",
            cert,
            changes=audit.diff(before, audit.snapshot(cert, ["state"])),
            actor=actor,
        )
    return cert


def _verify(files: dict[str, bytes]) -> dict[str, Any]:
    """The signature check of each PDF by file name (CRL/OCSP fetches: outside transactions)."""
    roots = trusted_roots()
    return {
        name: signing.verify_pdf(data, roots).as_dict()
        for name, data in files.items()
        if data.startswith(b"%PDF-")
    }


def sign_document(
    document: Document, *, signer: Any, certificate: Certificate | None = None, pin: str = ""
) -> Document:
    """The competent person signs (ký số người có thẩm quyền), visible in the signature cell.
    The approved unsigned main file is kept as a `VERSION` file; the signed PDF is the new
    main file. `pin` unlocks the signer's USB token when the certificate's key is on one.
    Signing happens before the transaction (see above)."""
    doc = _fresh(document)
    permissions.require(permissions.signing, signer, doc)
    files = _files_of(doc)
    current = main_file(doc)
    assert current is not None
    _refuse_active_content(bytes(current.data))
    cert = certificate or user_certificate(signer)
    key = signing_key(cert, pin)
    signer_box, _agency_box = signing.signature_cell(
        bytes(current.data), signer.full_name or doc.signer_name
    )
    signed = _sign_pdf(
        bytes(current.data),
        key,
        field_name="ChuKyNguoiCoThamQuyen",
        stamp_text=f"{doc.signer_position}\n{signer.full_name or signer.username}\n%(ts)s",
        box=signer_box,
        image=bytes(cert.stamp_image) if cert.stamp_image else None,
        text_indent=(signer_box[2] - signer_box[0]) // 3,  # under the agency's seal
        reason="Ký ban hành",
        location=doc.place,
        timestamp_url=settings.DOCUMENTS_TSA_URL,
    )
    with transaction.atomic():
        doc = _locked(document)
        _still(doc, Document.State.APPROVED, files, cert)
        permissions.require(permissions.signing, signer, doc)
        # The approved, unsigned text stays on record as a version (like `revise_draft`).
        doc.files.filter(kind=DocumentFile.Kind.MAIN).update(kind=DocumentFile.Kind.VERSION)
        _file(doc, DocumentFile.Kind.MAIN, current.name, PDF, signed)
        doc.signer = signer
        doc.signer_name = signer.full_name or signer.username
        doc.save(update_fields=["signer", "signer_name"])
        _transition(doc, {Document.State.APPROVED}, Document.State.SIGNED, "documents.sign", signer)
    return doc
