"""Keys on PKCS#11 tokens (khóa trên thiết bị ký số: USB token, HSM), named by RFC 7512 URIs.

Officials sign with the USB tokens the government CA (Ban Cơ yếu Chính phủ) issues; each
token is reached through its vendor's PKCS#11 module, a shared library. Legal source:
Decree 23/2025/NĐ-CP on electronic signatures (the signer keeps sole control of the signing
key) [UNCONFIRMED: article numbers]. Addressing: RFC 7512 (`pkcs11:` URIs).

Decisions:
- The module (the shared library the server loads) comes only from the operator's setting
  `TINHSO_DOCUMENTS_PKCS11_MODULE`, never from the URI stored in the database: a URI's
  `module-path` / `module-name` are accepted only when they name that same module.
- The PIN is never stored: `pin-value` and `pin-source` in a URI are refused; the PIN is given
  at signing time and used for one session, closed after the signature.
- A URI must name the token (`token`, `serial` or `slot-id`) and the key (`object`, `id`);
  `manufacturer` and `model` narrow the token. Other standard attributes are refused rather
  than ignored (an ignored attribute could pick another token); vendor `x-` attributes are
  ignored as RFC 7512 §2.3 allows.
- Before signing, the key on the token must match the certificate in the registry (same RSA
  modulus or EC point), so a document is never signed by a key other than the one its
  certificate names.
Every failure is a `TokenError` (a `signing.SigningError`) with a Vietnamese message and a
`reason`; nothing is signed.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, ObjectClass
from pkcs11 import exceptions as p11
from pyhanko.sign.pkcs11 import PKCS11Signer

from tinhso.documents import pki
from tinhso.documents.signing import SigningError

TOKEN_ATTRIBUTES = {"token", "serial", "manufacturer", "model", "slot-id"}
KEY_ATTRIBUTES = {"object", "id", "type"}
QUERY_ATTRIBUTES = {"module-path", "module-name", "pin-value", "pin-source"}


# The reasons the signer corrects by typing the PIN again (the others: the token, the server).
PIN_REASONS = frozenset({"no_pin", "wrong_pin"})


class TokenError(SigningError):
    """Signing with a token failed; `reason` says why (for tests and logs), the message is
    for the user."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Pkcs11Uri:
    """The parts of an RFC 7512 URI tinhso uses."""

    token: str | None = None
    serial: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    slot_id: int | None = None
    object: str | None = None
    id: bytes | None = None
    module_path: str | None = None
    module_name: str | None = None


def _bad(uri: str, why: str) -> TokenError:
    shown = re.sub(r"(pin-value=)[^&]*", r"\1***", uri, flags=re.IGNORECASE)  # never echo a PIN
    return TokenError(f"Địa chỉ khóa PKCS#11 không hợp lệ ({shown}): {why}.", reason="bad_uri")


def parse_uri(uri: str) -> Pkcs11Uri:
    """`pkcs11:token=tinhso;object=ubnd-key;id=%01?module-path=...` → `Pkcs11Uri`."""
    text = uri.strip()
    if not text.lower().startswith("pkcs11:"):
        raise _bad(uri, "phải bắt đầu bằng “pkcs11:”")
    path, _, query = text[len("pkcs11:") :].partition("?")
    values: dict[str, str | bytes] = {}
    for part, separator, allowed in (
        (path, ";", TOKEN_ATTRIBUTES | KEY_ATTRIBUTES),
        (query, "&", QUERY_ATTRIBUTES),
    ):
        for item in filter(None, part.split(separator)):
            name, equals, raw = item.partition("=")
            name = name.strip().lower()
            if not equals or not name:
                raise _bad(uri, f"thành phần “{item}” thiếu dấu “=”")
            if name.startswith("x-"):
                continue
            if name not in allowed:
                raise _bad(uri, f"không hỗ trợ thuộc tính “{name}”")
            if name in values:
                raise _bad(uri, f"thuộc tính “{name}” lặp lại")
            try:
                values[name] = (
                    unquote_to_bytes(raw) if name == "id" else unquote(raw, errors="strict")
                )
            except UnicodeDecodeError:
                raise _bad(uri, f"giá trị của “{name}” không phải UTF-8") from None
    if "pin-value" in values or "pin-source" in values:
        raise _bad(uri, "không lưu mã PIN trong địa chỉ; mã PIN được nhập khi ký")
    if values.get("type", "private") != "private":
        raise _bad(uri, "“type” chỉ nhận “private” (khóa bí mật dùng để ký)")
    slot_id = None
    if "slot-id" in values:
        try:
            slot_id = int(str(values["slot-id"]))
        except ValueError:
            raise _bad(uri, "“slot-id” phải là số") from None
    parsed = Pkcs11Uri(
        token=_text(values.get("token")),
        serial=_text(values.get("serial")),
        manufacturer=_text(values.get("manufacturer")),
        model=_text(values.get("model")),
        slot_id=slot_id,
        object=_text(values.get("object")),
        id=key_id if isinstance(key_id := values.get("id"), bytes) and key_id else None,
        module_path=_text(values.get("module-path")),
        module_name=_text(values.get("module-name")),
    )
    if parsed.token is None and parsed.serial is None and parsed.slot_id is None:
        raise _bad(uri, "thiếu tên thiết bị (“token=”), số sê-ri (“serial=”) hoặc “slot-id=”")
    if parsed.object is None and parsed.id is None:
        raise _bad(uri, "thiếu tên khóa (“object=”) hoặc mã khóa (“id=”)")
    return parsed


def _text(value: str | bytes | None) -> str | None:
    return value if isinstance(value, str) and value else None


def _module_stem(path: str) -> str:
    name = Path(path).name
    name = name.removeprefix("lib")
    return name.split(".so")[0].split(".dll")[0].split(".dylib")[0]


def check_module(uri: Pkcs11Uri, module: str) -> None:
    """The configured module is the one loaded; a URI naming another is refused."""
    if not module:
        raise TokenError(
            "Máy chủ chưa được cấu hình để ký bằng thiết bị ký số (USB token): "
            "thiếu TINHSO_DOCUMENTS_PKCS11_MODULE.",
            reason="not_configured",
        )
    if uri.module_path and Path(uri.module_path) != Path(module):
        raise TokenError(
            f"Địa chỉ khóa chỉ định module {uri.module_path}, khác module được cấu hình.",
            reason="bad_uri",
        )
    if uri.module_name and uri.module_name.removeprefix("lib") != _module_stem(module):
        raise TokenError(
            f"Địa chỉ khóa chỉ định module “{uri.module_name}”, khác module được cấu hình.",
            reason="bad_uri",
        )


def _find_token(library: Any, uri: Pkcs11Uri) -> Any:
    matches = []
    for slot in library.get_slots(token_present=True):
        if uri.slot_id is not None and slot.slot_id != uri.slot_id:
            continue
        try:
            token = slot.get_token()
        except (p11.TokenNotPresent, p11.TokenNotRecognised):
            continue
        serial = token.serial.decode(errors="replace").strip()
        if (
            (uri.token is None or token.label.strip() == uri.token)
            and (uri.serial is None or serial == uri.serial)
            and (uri.manufacturer is None or token.manufacturer_id.strip() == uri.manufacturer)
            and (uri.model is None or token.model.strip() == uri.model)
        ):
            matches.append(token)
    if not matches:
        raise TokenError(
            f"Không tìm thấy thiết bị ký số “{uri.token or uri.serial or uri.slot_id}”: "
            "hãy cắm USB token và thử lại.",
            reason="no_token",
        )
    if len(matches) > 1:
        raise TokenError(
            "Có nhiều thiết bị ký số cùng tên; hãy ghi rõ số sê-ri (serial=) trong địa chỉ khóa.",
            reason="ambiguous_token",
        )
    return matches[0]


def _login(token: Any, pin: str) -> Any:
    try:
        return token.open(user_pin=pin)
    except (p11.PinIncorrect, p11.PinLenRange, p11.PinInvalid):
        raise TokenError("Mã PIN của thiết bị ký số không đúng.", reason="wrong_pin") from None
    except p11.PinLocked:
        raise TokenError(
            "Thiết bị ký số đã bị khóa do nhập sai mã PIN nhiều lần; "
            "liên hệ đơn vị cấp chứng thư để mở khóa.",
            reason="pin_locked",
        ) from None
    except p11.PKCS11Error as exc:
        raise TokenError(
            f"Không mở được phiên làm việc với thiết bị ký số: {type(exc).__name__}.",
            reason="token_error",
        ) from None


def _same_key(session: Any, key: Any, certificate_pem: str) -> bool:
    """Whether the token's private key belongs to the certificate (RSA modulus or EC point)."""
    public = pki.load_certificate(certificate_pem).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        modulus = int.from_bytes(key[Attribute.MODULUS], "big")
        return modulus == public.public_numbers().n
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        try:
            partner = session.get_key(object_class=ObjectClass.PUBLIC_KEY, id=key[Attribute.ID])
            return point in bytes(partner[Attribute.EC_POINT])
        except p11.PKCS11Error:
            return False
    return False


class TokenSigner(PKCS11Signer):
    """pyHanko's PKCS#11 signer over one logged-in session, closed with `close()`; device
    errors while signing become `TokenError`."""

    def close(self) -> None:
        with contextlib.suppress(p11.PKCS11Error):  # the device may be pulled out already
            self.pkcs11_session.close()

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        try:
            return await super().async_sign_raw(data, digest_algorithm, dry_run=dry_run)
        except p11.PKCS11Error as exc:
            raise TokenError(
                f"Thiết bị ký số báo lỗi khi ký: {type(exc).__name__}.", reason="token_error"
            ) from None


@dataclass(frozen=True)
class TokenKey:
    """A key on a PKCS#11 token: where it is (URI), the module, the PIN given for this
    signature, and the certificate (and chain) from the registry."""

    uri: str
    module: str
    pin: str = field(repr=False)
    certificate_pem: str
    chain_pems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_module(parse_uri(self.uri), self.module)
        if not self.pin:
            raise TokenError("Cần nhập mã PIN của thiết bị ký số để ký.", reason="no_pin")

    def signer(self) -> TokenSigner:
        """Open the module, find the token, log in, find the key; the caller closes it."""
        where = parse_uri(self.uri)
        try:
            library = pkcs11.lib(self.module)
        except p11.PKCS11Error as exc:
            raise TokenError(
                f"Không nạp được module PKCS#11 {self.module}: {exc}", reason="not_configured"
            ) from None
        token = _find_token(library, where)
        session = _login(token, self.pin)
        try:
            return self._signer_on(session, where)
        except Exception as exc:
            # A logged-in session must not outlive a failure: the token's login state is
            # shared by the whole process.
            with contextlib.suppress(p11.PKCS11Error):
                session.close()
            if isinstance(exc, TokenError):
                raise
            if isinstance(exc, p11.PKCS11Error | ValueError | KeyError):
                raise TokenError(
                    f"Thiết bị ký số báo lỗi: {type(exc).__name__}.", reason="token_error"
                ) from None
            raise

    def _signer_on(self, session: Any, where: Pkcs11Uri) -> TokenSigner:
        try:
            key = session.get_key(
                object_class=ObjectClass.PRIVATE_KEY, label=where.object, id=where.id
            )
        except p11.NoSuchKey:
            raise TokenError(
                f"Không tìm thấy khóa “{where.object or (where.id or b'').hex()}” "
                "trên thiết bị ký số.",
                reason="no_key",
            ) from None
        except p11.MultipleObjectsReturned:
            raise TokenError(
                "Có nhiều khóa khớp địa chỉ; hãy ghi rõ mã khóa (id=).", reason="ambiguous_key"
            ) from None
        if not _same_key(session, key, self.certificate_pem):
            raise TokenError(
                "Khóa trên thiết bị ký số không khớp với chứng thư số đã đăng ký.",
                reason="wrong_key",
            )
        return TokenSigner(
            session,
            signing_cert=_asn1(self.certificate_pem),
            ca_chain=[_asn1(p) for p in self.chain_pems],
            key_label=where.object,
            key_id=where.id,
        )


def _asn1(pem_text: str) -> asn1_x509.Certificate:
    der = pki.load_certificate(pem_text).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)
