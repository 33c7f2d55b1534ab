"""Remote signing (ký số từ xa): keys held by a signing service, reached over the Cloud
Signature Consortium API v2 (`POST {base}/csc/v2/signatures/signHash`).

The document never leaves tinhso: only the digest of the signed attributes is sent, and the
service answers with the raw signature value, which pyHanko puts into the PAdES signature.
Which protocol the Vietnamese remote-signing providers expose is [UNCONFIRMED]; CSC v2 is the
open standard this adapter speaks. Explicit timeout; network errors and 5xx are retryable,
other refusals are not.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tinhso.documents import pki

HASH_OIDS = {
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
TIMEOUT_SECONDS = 30


class RemoteSigningError(Exception):
    """The signing service refused or could not be reached; `retryable` says which."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def _asn1(pem: str) -> asn1_x509.Certificate:
    der = pki.load_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def sign_hash(
    base_url: str, credential_id: str, digest: bytes, algorithm: str, *, token: str = ""
) -> bytes:
    """One CSC signHash call: the raw signature of `digest`."""
    if not base_url.startswith(("http://", "https://")):
        raise RemoteSigningError(f"Địa chỉ dịch vụ ký không hợp lệ: {base_url}", retryable=False)
    body = json.dumps(
        {
            "credentialID": credential_id,
            "hashes": [base64.b64encode(digest).decode()],
            "hashAlgorithmOID": HASH_OIDS[algorithm],
            "signAlgo": RSA_ENCRYPTION,
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        base_url.rstrip("/") + "/csc/v2/signatures/signHash", data=body, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RemoteSigningError(
            f"Dịch vụ ký từ chối (HTTP {exc.code}).", retryable=exc.code >= 500
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise RemoteSigningError(f"Không kết nối được dịch vụ ký: {exc}", retryable=True) from None
    try:
        return base64.b64decode(answer["signatures"][0], validate=True)
    except (KeyError, IndexError, TypeError, ValueError):
        raise RemoteSigningError(
            "Trả lời của dịch vụ ký không đúng dạng.", retryable=False
        ) from None


class CscSigner(signers.Signer):
    """A pyHanko signer whose private-key operation happens at the signing service."""

    def __init__(self, key: RemoteSigningKey) -> None:
        cert = _asn1(key.certificate_pem)
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([_asn1(p) for p in key.chain_pems]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )
        self.key = key
        self.size = cert.public_key.bit_size // 8

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self.size)
        digest = hashlib.new(digest_algorithm, data).digest()
        return await asyncio.to_thread(
            sign_hash,
            self.key.base_url,
            self.key.credential_id,
            digest,
            digest_algorithm,
            token=self.key.token,
        )


@dataclass(frozen=True)
class RemoteSigningKey:
    """A key at a remote signing service, with its certificate and chain (PEM)."""

    base_url: str
    credential_id: str
    certificate_pem: str
    chain_pems: tuple[str, ...] = ()
    token: str = ""

    def signer(self) -> signers.Signer:
        return CscSigner(self)
