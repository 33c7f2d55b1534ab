"""Keys and certificates: the demo TEST certification authority and PKCS#12 keystores.

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

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
) -> KeyPair:
    """A signing certificate for an official or an agency, issued by `ca`."""
    now = now or datetime.now(UTC)
    key = _new_key()
    cert = (
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
        .sign(ca.key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def load_pkcs12(data: bytes, passphrase: bytes) -> tuple[KeyPair, list[x509.Certificate]]:
    key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase)
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise ValueError("Tệp PKCS#12 không chứa khóa RSA và chứng thư số.")
    return KeyPair(key, cert), list(chain)


def load_certificate(pem: str | bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


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
