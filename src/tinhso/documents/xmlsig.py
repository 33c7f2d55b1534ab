"""XML signatures (W3C XMLDSig) on edXML messages, with signxml.

Legal source: QCVN 102:2016/BTTTT: the `Signature` in `edXMLHeader` is an enveloped XMLDSig
signature over the whole message (`Reference URI=""`, enveloped-signature transform,
exclusive c14n) with the sender's certificate in `KeyInfo/X509Data`. The SDK samples use
rsa-sha1; we sign with rsa-sha256 and accept both when verifying.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier, methods
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature

from tinhso.documents import edxml
from tinhso.documents.pki import KeyPair

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class SignatureError(Exception):
    """The XML signature is missing, broken or not from the expected sender."""


def sign(root: etree._Element, keys: KeyPair) -> bytes:
    """Sign the whole message; the signature takes the place of the ds:Signature placeholder."""
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    signer.namespaces = {"ds": edxml.DS}
    signer._parser = _parser()  # attachments make text nodes larger than lxml's default limit
    signed = signer.sign(
        root,
        key=keys.key_pem(),
        cert=keys.certificate.public_bytes(serialization.Encoding.PEM).decode(),
        always_add_key_value=False,
    )
    return edxml.to_bytes(signed)


def verify(data: bytes, certificate: x509.Certificate) -> None:
    """Raise SignatureError unless `data` carries a valid signature by `certificate`'s key,
    covering the whole message."""
    root = edxml.parse_xml(data)
    signatures = root.findall(f".//{{{edxml.DS}}}Signature")
    if not signatures:
        legacy = root.find(f".//{{{edxml.NS}}}Signature")
        if legacy is not None:
            raise SignatureError("Chữ ký không theo không gian tên XMLDSig, không kiểm tra được.")
        raise SignatureError("Gói tin không có chữ ký số.")
    if len(signatures) > 1:
        raise SignatureError("Gói tin có nhiều hơn một chữ ký.")
    config = SignatureConfiguration(
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA1}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA1}),
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    try:
        result = XMLVerifier().verify(root, x509_cert=pem, expect_config=config, parser=_parser())
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureError(f"Chữ ký số không hợp lệ: {exc}") from None
    except Exception as exc:  # signxml raises lxml and crypto errors for broken input
        raise SignatureError(f"Không kiểm tra được chữ ký số: {exc}") from None
    signed = result[0] if isinstance(result, list) else result
    if signed.signed_xml is None or etree.QName(signed.signed_xml).localname != "edXML":
        raise SignatureError("Chữ ký không bao trùm toàn bộ gói tin.")
