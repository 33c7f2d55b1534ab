"""Keys and certificates: the demo TEST certification authority and PKCS#12 keystores.

The TEST CA can also say which certificates it revoked, as a CRL (RFC 5280 §5) or an OCSP
response (RFC 6960), so that revocation checking is tested against real data: `issue` puts
the CRL distribution point and the OCSP responder's address into a certificate when given.

The TEST CA exists so that signing works on a fresh installation and in tests. Everything it
issues says TEST in its subject; no relying party should trust it. Real signing keys come from
the government CA (Ban Cơ yếu Chính phủ) on USB tokens (PKCS#11) or as PKCS#12 files.
Legal source: Decree 23/2025/NĐ-CP on electronic signatures and trust services (state
specialised digital signatures) [UNCONFIRMED: article numbers].
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

TEST_LABEL = "TEST – không có giá trị pháp lý"


@dataclass(frozen=True)
class KeyPair:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def to_pkcs12(self, passphrase: bytes, chain: tuple[x509.Certificate, ...] = ()) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"tinhso",
            self.key,
            self.certificate,
            list(chain) or None,
            serialization.BestAvailableEncryption(passphrase),
        )


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_LABEL),
            x509.NameAttribute(NameOID.COMMON_NAME, f"TEST {common_name}"[:64]),
        ]
    )


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_test_ca(name: str = "tinhso TEST CA", *, now: datetime | None = None) -> KeyPair:
    """A self-signed root, valid ten years, its subject saying TEST (CN and OU)."""
    now = now or datetime.now(UTC)
    key = _new_key()
    subject = _name(name, "tinhso TEST")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def issue(
    ca: KeyPair,
    common_name: str,
    organisation: str,
    *,
    now: datetime | None = None,
    days: int = 3 * 365,
    crl_url: str = "",
    ocsp_url: str = "",
) -> KeyPair:
    """A signing certificate for an official or an agency, issued by `ca`; `crl_url` and
    `ocsp_url` say where relying parties check whether it was revoked."""
    now = now or datetime.now(UTC)
    key = _new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return KeyPair(key, builder.sign(ca.key, hashes.SHA256()))


def build_crl(
    ca: KeyPair,
    revoked: dict[int, datetime],
    *,
    number: int = 1,
    now: datetime | None = None,
    days: int = 7,
) -> bytes:
    """The CA's certificate revocation list (DER): `revoked` maps serial numbers to the time
    of revocation; valid `days` from `now`."""
    now = now or datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for serial, when in revoked.items():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def ocsp_response(
    ca: KeyPair, request: bytes, revoked: dict[int, datetime], *, now: datetime | None = None
) -> bytes:
    """The CA's own OCSP answer (DER) to `request` (DER): revoked when the serial is in
    `revoked`, good otherwise (the TEST CA knows every certificate it issued)."""
    now = now or datetime.now(UTC)
    try:
        asked = ocsp.load_der_ocsp_request(request)
    except ValueError:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        ).public_bytes(serialization.Encoding.DER)
    when = revoked.get(asked.serial_number)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=asked.issuer_name_hash,
        issuer_key_hash=asked.issuer_key_hash,
        serial_number=asked.serial_number,
        algorithm=asked.hash_algorithm,
        cert_status=ocsp.OCSPCertStatus.REVOKED if when else ocsp.OCSPCertStatus.GOOD,
        this_update=now - timedelta(minutes=5),
        next_update=now + timedelta(days=1),
        revocation_time=when,
        revocation_reason=None,
    )
    response = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate).sign(
        ca.key, hashes.SHA256()
    )
    return response.public_bytes(serialization.Encoding.DER)


class KeyFileError(ValueError):
    """A PKCS#12 file that opens but holds no RSA key with its certificate."""


# Parsed keys and certificates are kept per process, keyed by the stored bytes themselves:
# opening a keystore runs its password's key derivation and OpenSSL's RSA key check (tens of
# milliseconds, most of an edXML signature's cost), and a rotated key or certificate is new
# bytes, hence a new entry. Failures are not kept (a wrong password is asked again). The
# entries are immutable objects, safe to share between threads.
CACHE_SIZE = 128


def _parse_pkcs12(data: bytes, passphrase: bytes) -> tuple[KeyPair, tuple[x509.Certificate, ...]]:
    key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase)
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise KeyFileError("Tệp PKCS#12 không chứa khóa RSA và chứng thư số.")
    return KeyPair(key, cert), tuple(chain)


@lru_cache(maxsize=CACHE_SIZE)
def _pkcs12(data: bytes, passphrase: bytes) -> tuple[KeyPair, tuple[x509.Certificate, ...]]:
    return _parse_pkcs12(data, passphrase)


def load_pkcs12(data: bytes, passphrase: bytes) -> tuple[KeyPair, list[x509.Certificate]]:
    """The key and chain, parsed once per process for the same bytes and passphrase;
    ValueError for a wrong password or a file that is not PKCS#12, KeyFileError for one
    without an RSA key and certificate."""
    keys, chain = _pkcs12(bytes(data), bytes(passphrase))
    return keys, list(chain)


def _parse_certificate(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


@lru_cache(maxsize=CACHE_SIZE)
def _certificate(pem: bytes) -> x509.Certificate:
    return _parse_certificate(pem)


def load_certificate(pem: str | bytes) -> x509.Certificate:
    """The certificate of a PEM text, parsed once per process for the same text."""
    return _certificate(pem.encode() if isinstance(pem, str) else bytes(pem))


def clear_caches() -> None:
    """Forget every parsed key and certificate (tests; a process never needs to: rotated
    material is different bytes)."""
    _pkcs12.cache_clear()
    _certificate.cache_clear()


def describe(cert: x509.Certificate) -> dict[str, object]:
    """The registry fields of a certificate."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
    }


def passphrase(secret: str) -> bytes:
    """The embedded keystore's passphrase, derived from the instance secret."""
    return hashlib.sha256(b"tinhso-documents-keystore:" + secret.encode()).hexdigest().encode()
