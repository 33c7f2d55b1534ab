"""XML signatures (W3C XMLDSig 1.0) on edXML messages: one strict profile, signed and checked
on the tree in hand.

Legal source: QCVN 102:2016/BTTTT: the `Signature` in `edXMLHeader` is an enveloped XMLDSig
signature over the whole message (`Reference URI=""`, enveloped-signature transform,
exclusive c14n) with the sender's certificate in `KeyInfo/X509Data`. The SDK samples use
rsa-sha1; we sign with rsa-sha256 and accept both when verifying.

Why not a general XMLDSig library: the profile has one reference, the whole document, so the
work is one canonicalisation of the document streamed into the digest and one of SignedInfo.
A general library copies the tree (serialise and parse again) several times per signature and
per check, which with a base64 attachment of a few megabytes cost far more than the
signature. Checking is strict: exactly one signature; one reference, `URI=""`; the enveloped
transform, optionally followed by a canonicalisation; known algorithms only; the key is the
partner's certificate held by us (what `KeyInfo` says is not trusted). `xmlsec1 --verify`
accepts what this module signs (tests/documents/test_edxml.py).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from tinhso.documents import edxml
from tinhso.documents.pki import KeyPair

DS = edxml.DS
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

# Canonicalisation algorithm → (exclusive, with comments).
CANONICALISATIONS = {
    EXC_C14N: (True, False),
    EXC_C14N + "WithComments": (True, True),
    C14N: (False, False),
    C14N + "#WithComments": (False, True),
}
SIGNATURE_METHODS: dict[str, type[hashes.HashAlgorithm]] = {
    RSA_SHA256: hashes.SHA256,
    RSA_SHA1: hashes.SHA1,
}
DIGEST_METHODS = {SHA256: "sha256", SHA1: "sha1"}


class SignatureError(Exception):
    """The XML signature is missing, broken or not from the expected sender."""


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


class _Digest:
    """A file-like sink for lxml's canonical writer: the canonical form is hashed as it is
    written, never held whole (an attachment's base64 is most of it)."""

    def __init__(self, name: str) -> None:
        self.hash = hashlib.new(name)

    def write(self, data: bytes) -> None:
        self.hash.update(data)


def _detach(signature: etree._Element) -> None:
    """Take the signature out of its document (the enveloped-signature transform), leaving
    the text that followed it where it was: lxml moves an element's tail with it."""
    parent = signature.getparent()
    if parent is None:
        raise SignatureError("Chữ ký số là phần tử gốc của gói tin, không bao được gói tin.")
    tail, signature.tail = signature.tail, None
    previous = signature.getprevious()
    if tail:
        if previous is None:
            parent.text = (parent.text or "") + tail
        else:
            previous.tail = (previous.tail or "") + tail
    parent.remove(signature)


def _document_digest(
    root: etree._Element, *, exclusive: bool, prefixes: list[str] | None, digest: str
) -> bytes:
    """The digest of the whole document, canonicalised without comments (a same-document
    reference `URI=""` leaves them out), streamed."""
    sink = _Digest(digest)
    root.getroottree().write_c14n(
        sink, exclusive=exclusive, with_comments=False, inclusive_ns_prefixes=prefixes
    )
    return sink.hash.digest()


def _c14n(element: etree._Element, algorithm: str, prefixes: list[str] | None = None) -> bytes:
    exclusive, comments = CANONICALISATIONS[algorithm]
    return bytes(
        etree.tostring(
            element,
            method="c14n",
            exclusive=exclusive,
            with_comments=comments,
            inclusive_ns_prefixes=prefixes if exclusive else None,
        )
    )


def _der(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def sign(root: etree._Element, keys: KeyPair) -> bytes:
    """Sign the whole message in place (the tree is changed) and return it serialised. The
    signature takes the place of the `ds:Signature Id="placeholder"` element, or is appended
    to the root without one."""
    placeholders = root.findall(f".//{_ds('Signature')}[@Id='placeholder']")
    if len(placeholders) > 1:
        raise SignatureError("Gói tin có nhiều hơn một chỗ cho chữ ký.")
    if placeholders:
        parent = placeholders[0].getparent()
        assert parent is not None  # the root is edXML, never the placeholder
        position = parent.index(placeholders[0])
        _detach(placeholders[0])
    else:
        parent, position = root, len(root)
    digest = _document_digest(root, exclusive=True, prefixes=None, digest="sha256")

    signature = etree.Element(_ds("Signature"), nsmap={"ds": DS})
    info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(info, _ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    etree.SubElement(info, _ds("SignatureMethod"), Algorithm=RSA_SHA256)
    reference = etree.SubElement(info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(transforms, _ds("Transform"), Algorithm=EXC_C14N)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=SHA256)
    etree.SubElement(reference, _ds("DigestValue")).text = base64.b64encode(digest).decode()
    value = etree.SubElement(signature, _ds("SignatureValue"))
    key_info = etree.SubElement(signature, _ds("KeyInfo"))
    x509_data = etree.SubElement(key_info, _ds("X509Data"))
    etree.SubElement(x509_data, _ds("X509Certificate")).text = _der(keys.certificate)
    parent.insert(position, signature)
    # Exclusive canonicalisation does not depend on where SignedInfo sits, but it is taken in
    # place all the same, as a verifier takes it.
    raw = keys.key.sign(_c14n(info, EXC_C14N), padding.PKCS1v15(), hashes.SHA256())
    value.text = base64.b64encode(raw).decode()
    return edxml.to_bytes(root)


def _one(parent: etree._Element, tag: str) -> etree._Element:
    found = parent.findall(_ds(tag))
    if len(found) != 1:
        raise SignatureError(f"Chữ ký số không hợp lệ: cần đúng một {tag} trong {parent.tag}.")
    return found[0]


def _algorithm(element: etree._Element, known: Any, what: str) -> str:
    algorithm = element.get("Algorithm", "")
    if algorithm not in known:
        raise SignatureError(f"Chữ ký số dùng {what} không được chấp nhận: {algorithm or '?'}.")
    return algorithm


def _prefixes(transform: etree._Element) -> list[str] | None:
    inclusive = transform.find(f"{{{EXC_C14N}}}InclusiveNamespaces")
    if inclusive is None:
        return None
    return inclusive.get("PrefixList", "").split() or None


def _check_validity(certificate: x509.Certificate) -> None:
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SignatureError(
            "Chứng thư số của bên gửi không còn hiệu lực (hiệu lực từ "
            f"{certificate.not_valid_before_utc:%d/%m/%Y} đến "
            f"{certificate.not_valid_after_utc:%d/%m/%Y})."
        )


def verify(data: bytes, certificate: x509.Certificate) -> None:
    """Raise SignatureError unless `data` carries a valid signature by `certificate`'s key,
    covering the whole message."""
    root = edxml.parse_xml(data)
    signatures = root.findall(f".//{_ds('Signature')}")
    if not signatures:
        legacy = root.find(f".//{{{edxml.NS}}}Signature")
        if legacy is not None:
            raise SignatureError("Chữ ký không theo không gian tên XMLDSig, không kiểm tra được.")
        raise SignatureError("Gói tin không có chữ ký số.")
    if len(signatures) > 1:
        raise SignatureError("Gói tin có nhiều hơn một chữ ký.")
    signature = signatures[0]
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("Chứng thư số của bên gửi không mang khóa RSA.")
    _check_validity(certificate)

    # SignedInfo first, in place (inclusive canonicalisation takes in the namespaces in
    # scope there), its signature checked; what it says is read from the canonical bytes
    # that were checked, never from the tree.
    info = _one(signature, "SignedInfo")
    c14n_method = _algorithm(
        _one(info, "CanonicalizationMethod"), CANONICALISATIONS, "cách chuẩn hóa"
    )
    signed_bytes = _c14n(info, c14n_method, _prefixes(_one(info, "CanonicalizationMethod")))
    method = _algorithm(_one(info, "SignatureMethod"), SIGNATURE_METHODS, "thuật toán ký")
    try:
        raw = base64.b64decode("".join((_one(signature, "SignatureValue").text or "").split()))
        public_key.verify(raw, signed_bytes, padding.PKCS1v15(), SIGNATURE_METHODS[method]())
    except (InvalidSignature, ValueError):
        raise SignatureError(
            "Chữ ký số không hợp lệ: Signature verification failed "
            "(không phải khóa của bên gửi, hoặc phần SignedInfo đã bị thay đổi)."
        ) from None
    signed = etree.fromstring(signed_bytes, etree.XMLParser(resolve_entities=False))
    reference = _one(signed, "Reference")
    if reference.get("URI") != "":
        raise SignatureError("Chữ ký không bao trùm toàn bộ gói tin.")
    transforms = reference.find(_ds("Transforms"))
    steps = [] if transforms is None else list(transforms)
    if (
        not steps
        or len(steps) > 2
        or any(step.tag != _ds("Transform") for step in steps)
        or steps[0].get("Algorithm") != ENVELOPED
    ):
        raise SignatureError("Chữ ký số không hợp lệ: các phép biến đổi không theo QCVN 102.")
    exclusive, prefixes = False, None  # XMLDSig §4.3.3.2: inclusive c14n by default
    if len(steps) == 2:
        exclusive, _comments = CANONICALISATIONS[
            _algorithm(steps[1], CANONICALISATIONS, "cách chuẩn hóa")
        ]
        prefixes = _prefixes(steps[1]) if exclusive else None
    digest = DIGEST_METHODS[_algorithm(_one(reference, "DigestMethod"), DIGEST_METHODS, "băm")]
    try:
        expected = base64.b64decode("".join((_one(reference, "DigestValue").text or "").split()))
    except ValueError:
        raise SignatureError("Chữ ký số không hợp lệ: DigestValue không đọc được.") from None

    _detach(signature)
    actual = _document_digest(root, exclusive=exclusive, prefixes=prefixes, digest=digest)
    if actual != expected:
        raise SignatureError(
            "Chữ ký số không hợp lệ: Digest mismatch (gói tin đã bị thay đổi sau khi ký)."
        )
