"""PAdES signatures on PDFs (chữ ký số trên văn bản điện tử), with pyHanko.

Legal source: Decree 30/2020/NĐ-CP Annex I §II.7–8: the signer's visible signature sits in
the signature cell; the agency's signature (the seal image) overlaps its left third; an
attachment in a separate file is signed by the clerk (văn thư) with the agency key and only a
text line at the top right of page 1: number and notation plus the signing time (ISO 8601,
UTC+7). Profile: PAdES B-B by default; B-T when a timestamp authority (RFC 3161) is given.

Verification checks revocation where reachable: the CRLs (RFC 5280) and OCSP responders
(RFC 6960) named in the signer's certificate are fetched with a short timeout
(`TINHSO_DOCUMENTS_REVOCATION_TIMEOUT`). A certificate the CA lists as revoked fails the
check; an unreachable list or responder leaves the result `unknown` and, in the default
`soft` mode, the signature still valid (`hard`: it fails; `off`: nothing is fetched).

The signature cell's position on the page depends on the template; the boxes here fit the
templates tinhso renders (A4, signature block bottom right of the last page) and are passed
in for uploaded drafts [UNCONFIRMED: Annex I gives cells, not coordinates].
"""

from __future__ import annotations

import copy
import io
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from fontTools import ttLib
from PIL import Image
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
from pyhanko.pdf_utils.font.opentype import (
    CIDFontType2,
    GlyphAccumulator,
    GlyphAccumulatorFactory,
)
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from tinhso.core import fonts
from tinhso.documents import pki

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# A4 is 595 × 842 pt. Signer box in the signature cell (7c), agency box over its left third.
SIGNER_BOX = (330, 120, 540, 190)
AGENCY_BOX = (260, 110, 400, 200)
ATTACHMENT_BOX = (330, 800, 585, 830)
Box = tuple[int, int, int, int]
# With an image (signature, seal), the stamp's text goes in a band this high under it, in
# small type, so the words never cover the image (and the image never hides the words).
TEXT_BAND = 24
BAND_FONT_SIZE = 6


def _layouts(box: Box, text_indent: int) -> tuple[SimpleBoxLayoutRule, SimpleBoxLayoutRule]:
    """(image rule, text rule) of a stamp with an image: the image in the box's upper part,
    the text in the band below it. With `text_indent` (the signer's stamp) the image starts at
    the box's left edge, where the agency's seal covers its left third (Annex I §II.8), and the
    text keeps clear of those `text_indent` points; otherwise (the seal) the image is centred."""
    height = box[3] - box[1]
    image = SimpleBoxLayoutRule(
        x_align=AxisAlignment.ALIGN_MIN if text_indent else AxisAlignment.ALIGN_MID,
        y_align=AxisAlignment.ALIGN_MAX,
        margins=Margins(bottom=TEXT_BAND + 2),
        inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
    )
    text = SimpleBoxLayoutRule(
        x_align=AxisAlignment.ALIGN_MIN,
        y_align=AxisAlignment.ALIGN_MIN,
        margins=Margins(left=text_indent + 2, right=2, top=max(0, height - TEXT_BAND), bottom=1),
        inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
    )
    return image, text


def signature_cell(pdf: bytes, signer_name: str) -> tuple[Box, Box]:
    """Where the signer's and the agency's stamps go: above the signer's printed name on the
    last page (the space between title and name, cell 7c), the agency's box over the left
    third of the signer's. Falls back to the template's default boxes."""
    name = signer_name.strip()
    if not name:
        return SIGNER_BOX, AGENCY_BOX
    try:
        from pypdf import PdfReader

        page = PdfReader(io.BytesIO(pdf), strict=False).pages[-1]
        hits: list[tuple[float, float]] = []

        def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
            if name in text:
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                hits.append((x, y))

        page.extract_text(visitor_text=visit)
    except Exception:  # an unreadable page keeps the default boxes
        return SIGNER_BOX, AGENCY_BOX
    if not hits:
        return SIGNER_BOX, AGENCY_BOX
    x, y = hits[-1]
    signer = (int(x) - 30, int(y) + 14, int(x) + 180, int(y) + 84)
    third = (signer[2] - signer[0]) // 3
    agency = (signer[0] - third, int(y) + 4, signer[0] + third, int(y) + 94)
    return signer, agency


class SigningError(Exception):
    """The PDF could not be signed (unreadable file, wrong key)."""


class KeySource(Protocol):
    """Where a signing key lives: the embedded keystore (`SigningKey`), a remote signing
    service (`remote.RemoteSigningKey`), a PKCS#11 token (`tokens.TokenKey`). A signer with a
    `close()` method (a token session) is closed once the PDF is signed."""

    def signer(self) -> signers.Signer: ...


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, signing with a key object loaded once. pyHanko's own
    loads the key from its DER form at every signature, twice per PDF (the size estimate and
    the signature), and each load runs OpenSSL's RSA key check: most of a signature's time."""

    def __init__(self, material: _KeyMaterial) -> None:
        super().__init__(
            signing_cert=material.certificate,
            signing_key=material.key_info,
            cert_registry=SimpleCertificateStore.from_certs(material.chain),
        )
        self._key = material.key
        # The room for the signature container, hex digits, known from the certificates:
        # pyHanko would otherwise build and sign a whole dummy container to measure it. The
        # rest (signed attributes, a 4096-bit signature at most, the structure) fits in 2 KB.
        self.room = 2 * (sum(len(c.dump()) for c in (material.certificate, *material.chain)) + 2048)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return self._key.sign(
            data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
        )


@dataclass(frozen=True)
class _KeyMaterial:
    key: Any  # rsa.RSAPrivateKey
    key_info: Any  # asn1crypto keys.PrivateKeyInfo
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]


@lru_cache(maxsize=pki.CACHE_SIZE)
def _key_material(pkcs12: bytes, passphrase: bytes) -> _KeyMaterial:
    """The keystore's key and certificates in both libraries' forms, once per process for
    the same bytes (a new keystore is new bytes: a rotated key is picked up)."""
    keys, chain = pki.load_pkcs12(pkcs12, passphrase)
    return _KeyMaterial(
        key=keys.key,
        key_info=translate_pyca_cryptography_key_to_asn1(keys.key),
        certificate=translate_pyca_cryptography_cert_to_asn1(keys.certificate),
        chain=tuple(translate_pyca_cryptography_cert_to_asn1(c) for c in chain),
    )


@dataclass(frozen=True)
class SigningKey:
    """A key to sign with: the embedded PKCS#12 keystore (the default)."""

    pkcs12: bytes
    passphrase: bytes

    def signer(self) -> signers.Signer:
        try:
            material = _key_material(bytes(self.pkcs12), bytes(self.passphrase))
        except ValueError:  # a wrong passphrase, not PKCS#12, no RSA key in it
            raise SigningError("Không đọc được khóa ký (PKCS#12).") from None
        return _LoadedKeySigner(material)


# The Vietnamese repertoire of the stamps' fonts: ASCII, the letters of the Vietnamese
# alphabet with their tones (precomposed, NFC), the combining tone marks, the typographic
# punctuation of official texts and the đồng sign.
VIETNAMESE = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + list("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư")
    + [chr(c) for c in range(0x1EA0, 0x1EFA)]
    + [chr(c) for c in range(0x0300, 0x0324)]
    + list("\u00a0–—‘’“”…•₫№°")
)


@dataclass(frozen=True)
class _PreparedFont:
    data: bytes  # the font cut to VIETNAMESE, without layout tables, as embedded
    characters: frozenset[str]  # what it can draw
    compressed: bytes = b""  # `data` deflated once, as the /FontFile2 stream carries it


@lru_cache(maxsize=8)
def _prepared_font(path: str) -> _PreparedFont:
    """The font cut once per process to the Vietnamese repertoire. pyHanko cuts the whole
    font (hundreds of kilobytes, its layout tables decoded in Python) down to the glyphs of
    each stamp, at every signature; this cut is embedded as it is (about 20 KB compressed)."""
    from fontTools import subset, ttLib

    font = ttLib.TTFont(path)
    options = subset.Options(layout_closure=False, notdef_outline=True)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]  # pyHanko drops them from the embedding too
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=[ord(c) for c in VIETNAMESE])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    drawn = {chr(c) for c in font.getBestCmap()} | {"\n"}
    data = out.getvalue()
    characters = frozenset(drawn & (VIETNAMESE | {"\n"}))
    return _PreparedFont(data, characters, zlib.compress(data))


# GlyphAccumulator's attributes that belong to one document: the writer and object stream it
# writes into, its font size, the subset tag it took in that writer, the reference reserved
# there for the font, the CIDFont dictionary (named with the tag, filled in when written),
# the glyphs used and their Unicode text, and whether it was written. Everything else it
# holds is read from the font (the fontTools and HarfBuzz parses, the metrics, the glyph set)
# or from its options, and is shared by the copies one thread makes of its template.
# test_hot_paths checks that a freshly constructed accumulator holds nothing else.
_PER_DOCUMENT = frozenset(
    {
        "writer",
        "obj_stream",
        "font_size",
        "subset_prefix",
        "_font_ref",
        "cidfont_obj",
        "_glyphs",
        "_cid_to_unicode",
        "_subset_created",
        "_write_prepared",
    }
)


class _PreparedCIDFont(CIDFontType2):
    """The CIDFont dictionary whose /FontFile2 is the prepared cut, deflated once per process
    (`_prepared_font`), not the font saved and deflated again at every stamp."""

    def __init__(self, tt: ttLib.TTFont, ps_name: str, prefix: str, program: bytes) -> None:
        super().__init__(tt, ps_name, prefix)
        self._program = program

    def set_font_file(self, writer: Any) -> Any:
        from pyhanko.pdf_utils import generic

        stream = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=self._program,
        )
        ref = writer.add_object(stream)
        # `embed` has just written the descriptor and put its reference here
        self["/FontDescriptor"].get_object()[generic.pdf_name("/FontFile2")] = ref
        return ref


class _PreparedFontAccumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator over the prepared font, which is embedded whole: the cut
    is already made, and glyph numbers are kept as they are."""

    def _extract_subset(self, options: Any = None) -> None:
        """No per-stamp cut; the parse is shared by this thread's stamps and stays whole."""


@dataclass(frozen=True)
class _FontTemplate:
    engine: _PreparedFontAccumulator  # built by pyHanko's constructor, never written
    ps_name: str


_font_templates = threading.local()


def _font_template(font: _PreparedFont) -> _FontTemplate:
    """This thread's accumulator over the prepared font, made by pyHanko's own constructor
    (fontTools and HarfBuzz parse the font there: most of a stamp's time when done at every
    signature). fontTools reads tables lazily and caches them in the font object, so a parse
    is not shared between threads; within one it is only read."""
    from pyhanko.pdf_utils.writer import PdfFileWriter

    templates: dict[bytes, _FontTemplate] = getattr(_font_templates, "by_data", None) or {}
    _font_templates.by_data = templates
    found = templates.get(font.data)
    if found is None:
        engine = _PreparedFontAccumulator(PdfFileWriter(), io.BytesIO(font.data), font_size=10)
        tt = engine.tt
        for table in ("hhea", "hmtx", "OS/2", "post", "cmap", "glyf", "loca"):
            if table in tt:
                tt[table]  # read now, not at the first stamp
        found = templates[font.data] = _FontTemplate(engine, tt["name"].getDebugName(6))
    return found


def _prepared_engine(
    writer: Any, font: _PreparedFont, font_size: int, obj_stream: Any
) -> _PreparedFontAccumulator:
    """A copy of this thread's template for one document: the font's parse is shared, the
    per-document state (`_PER_DOCUMENT`) is new. pyHanko's `FontEngine` constructor binds it
    to `writer` (a new subset tag registered there, the object stream, the size)."""
    template = _font_template(font)
    engine = copy.copy(template.engine)
    FontEngine.__init__(
        engine,
        writer,
        template.ps_name,
        embedded_subset=True,
        obj_stream=obj_stream,
        font_size=font_size,
    )
    engine._font_ref = writer.allocate_placeholder()
    engine.cidfont_obj = _PreparedCIDFont(
        engine.tt, template.ps_name, engine.subset_prefix, font.compressed
    )
    engine._glyphs = {}
    engine._cid_to_unicode = {}
    engine._subset_created = engine._write_prepared = False
    return engine


@dataclass(frozen=True)
class _PreparedFontFactory(FontEngineFactory):
    path: str
    font_size: int

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> FontEngine:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return _prepared_engine(writer, _prepared_font(self.path), self.font_size, obj_stream)


def _font_style(path: Path, size: int, text: str) -> TextBoxStyle:
    """The stamp's type: the prepared Vietnamese cut when it draws every character of `text`
    (a stamp's text is Vietnamese and the time), pyHanko's own subsetting otherwise."""
    if set(text) <= _prepared_font(str(path)).characters:
        return TextBoxStyle(font=_PreparedFontFactory(str(path), size), font_size=size)
    return TextBoxStyle(font=GlyphAccumulatorFactory(str(path)), font_size=size)


@lru_cache(maxsize=32)
def _stamp_image(data: bytes) -> Image.Image:
    """A signature or seal image decoded once per process (the same bytes at every
    signature of an official or an agency)."""
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    image.load()
    return image


@dataclass(frozen=True)
class _EncodedImage:
    """A stamp image as two deflated 8-bit sample streams, made once per process: its colour
    (DeviceRGB) and its opacity, which becomes the colour image's soft mask (a DeviceGray
    image, ISO 32000-1 §11.6.5.3). `_stamp_image` always gives RGBA."""

    width: int
    height: int
    colour: bytes
    opacity: bytes


@lru_cache(maxsize=32)
def _encoded_image(data: bytes) -> _EncodedImage:
    picture = _stamp_image(data)
    return _EncodedImage(
        width=picture.width,
        height=picture.height,
        colour=zlib.compress(picture.convert("RGB").tobytes()),
        opacity=zlib.compress(picture.getchannel("A").tobytes()),
    )


def _write_image(writer: Any, encoded: _EncodedImage) -> Any:
    """Add the image XObject and its soft mask to `writer`; return the image's reference."""
    from pyhanko.pdf_utils import generic

    def xobject(colour_space: str, samples: bytes, soft_mask: Any = None) -> Any:
        entries = {
            "/Type": generic.pdf_name("/XObject"),
            "/Subtype": generic.pdf_name("/Image"),
            "/Width": generic.NumberObject(encoded.width),
            "/Height": generic.NumberObject(encoded.height),
            "/ColorSpace": generic.pdf_name(colour_space),
            "/BitsPerComponent": generic.NumberObject(8),
            "/Filter": generic.pdf_name("/FlateDecode"),
        }
        if soft_mask is not None:
            entries["/SMask"] = soft_mask
        stream = generic.StreamObject(
            {generic.pdf_name(key): value for key, value in entries.items()},
            encoded_data=samples,
        )
        return writer.add_object(stream)

    mask = xobject("/DeviceGray", encoded.opacity)
    return xobject("/DeviceRGB", encoded.colour, soft_mask=mask)


class _PreparedImage(PdfImage):
    """pyHanko's image content (placement, opacity, resources) whose XObject is written from
    `_encoded_image`: the signature or seal is not converted and deflated at every stamp."""

    def __init__(self, data: bytes) -> None:
        super().__init__(_stamp_image(data))
        self._encoded = _encoded_image(data)
        self._written: tuple[Any, Any] | None = None  # (writer, reference) last written

    @property
    def image_ref(self) -> Any:
        writer = self.writer
        assert writer is not None
        if self._written is None or self._written[0] is not writer:
            self._written = (writer, _write_image(writer, self._encoded))
        return self._written[1]


def _page_count(writer: IncrementalPdfFileWriter) -> int:
    return int(writer.root["/Pages"]["/Count"])


def sign_pdf(
    pdf: bytes,
    key: KeySource,
    *,
    field_name: str,
    stamp_text: str,
    box: tuple[int, int, int, int],
    page: int = -1,
    reason: str = "",
    location: str = "",
    timestamp_url: str = "",
    text_only: bool = False,
    image: bytes | None = None,
    text_indent: int = 0,
) -> bytes:
    """Add one PAdES signature with a visible stamp; return the new PDF (incremental update).

    With `image`, the image fills the box's upper part and the text a band below it
    (`_layouts`); `text_indent` keeps the text clear of the box's left part."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:  # pyHanko raises several types for a broken file
        raise SigningError(f"Không đọc được tệp PDF: {exc}") from None
    on_page = _page_count(writer) - 1 if page < 0 else page
    background = None
    if image:
        try:
            background = _PreparedImage(bytes(image))
        except (OSError, ValueError) as exc:
            raise SigningError(f"Ảnh chữ ký hoặc con dấu không đọc được: {exc}") from None
    size = 10 if text_only else BAND_FONT_SIZE if background is not None else 8
    layout: dict[str, Any] = {}
    if background is not None:
        image_rule, text_rule = _layouts(box, text_indent)
        layout = {"background_layout": image_rule, "inner_content_layout": text_rule}
    style = TextStampStyle(
        stamp_text=stamp_text,
        text_box_style=_font_style(
            fonts.font_file(fonts.SERIF if text_only else fonts.SANS), size, stamp_text
        ),
        border_width=0 if text_only or image else 1,
        timestamp_format="%Y-%m-%dT%H:%M:%S%z",
        background=background,
        background_opacity=1.0,
        **layout,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None
    signer = key.signer()
    try:
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=on_page, box=box),
        )
        out = io.BytesIO()
        # With a timestamp the token's size is the server's: let pyHanko measure it.
        room = signer.room if isinstance(signer, _LoadedKeySigner) and not timestamper else None
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=room)
    finally:
        close = getattr(signer, "close", None)
        if callable(close):
            close()
    return out.getvalue()


def signing_time_line(number_and_notation: str, at: datetime) -> str:
    """The clerk's text line on a separate attachment: `15/QĐ-UBND 2026-03-02T09:15:00+07:00`."""
    return f"{number_and_notation} {at.astimezone(VN).replace(microsecond=0).isoformat()}"


@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    signer: str
    signed_at: str
    intact: bool
    trusted: bool
    covers_whole_file: bool
    summary: str
    timestamped: bool = False  # PAdES B-T: an RFC 3161 timestamp on the signature
    revocation: str = "unknown"  # GOOD, REVOKED or UNKNOWN (not checked, or unreachable)
    revocation_note: str = ""  # why, in Vietnamese, when not GOOD

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.revocation != REVOKED


@dataclass(frozen=True)
class Verification:
    signatures: list[SignatureCheck] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.signatures) and all(s.ok for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "signatures": [
                {
                    "field": s.field_name,
                    "signer": s.signer,
                    "signed_at": s.signed_at,
                    "intact": s.intact,
                    "trusted": s.trusted,
                    "covers_whole_file": s.covers_whole_file,
                    "summary": s.summary,
                    "timestamped": s.timestamped,
                    "revocation": s.revocation,
                    "revocation_note": s.revocation_note,
                }
                for s in self.signatures
            ],
        }


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


GOOD, REVOKED, UNKNOWN = "good", "revoked", "unknown"
REVOCATION_MODES = {"soft": "soft-fail", "hard": "hard-fail", "off": "soft-fail"}
# The second look (below): the signer's certificate must be covered by a CRL or an OCSP
# response already fetched; CA certificates further up are not asked about.
_SIGNER_COVERED = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
    )
)


def _revocation_settings(mode: str | None, timeout: int | None) -> tuple[str, int]:
    from django.conf import settings

    chosen: str = mode or settings.DOCUMENTS_REVOCATION
    if chosen not in REVOCATION_MODES:
        raise ValueError(f"revocation mode {chosen!r}: soft, hard or off")
    seconds: int = timeout or settings.DOCUMENTS_REVOCATION_TIMEOUT
    return chosen, seconds


def _declares_revocation_source(cert: asn1_x509.Certificate) -> bool:
    return bool(cert.crl_distribution_points or cert.ocsp_urls)


def _revocation(
    sig: Any, status: Any, context: ValidationContext, roots: list[Any], mode: str
) -> tuple[str, str]:
    """GOOD only when a CRL or OCSP response fetched for this check covers the signer's
    certificate and says it is not revoked; REVOKED when it says so."""
    if status.revoked:
        details = status.revocation_details
        at = f" từ {details.revocation_date.astimezone(VN).isoformat()}"
        whose = "của tổ chức cấp (CA) trong chuỗi" if details.ca_revoked else "của người ký"
        return REVOKED, f"Chứng thư số {whose} đã bị thu hồi{at}."
    cert = status.signing_cert
    if mode == "off":
        return UNKNOWN, "Không kiểm tra thu hồi (TINHSO_DOCUMENTS_REVOCATION=off)."
    if cert is None or not _declares_revocation_source(cert):
        return UNKNOWN, "Chứng thư số không ghi nơi tra cứu thu hồi (CRL, OCSP)."
    unreachable = "; ".join(str(e) for e in context.soft_fail_exceptions)
    if not status.trusted:
        return UNKNOWN, "Không xác định được tình trạng thu hồi: " + (
            unreachable or status.summary()
        )
    second = ValidationContext(
        trust_roots=roots,
        allow_fetching=False,
        crls=list(context.crls),
        ocsps=list(context.ocsps),
        revinfo_policy=_SIGNER_COVERED,
    )
    try:
        covered = validate_pdf_signature(sig, second)
    except Exception:  # the first pass read this signature; treat any surprise as unknown
        covered = None
    if covered is not None and covered.trusted and not covered.revoked:
        return GOOD, ""
    return UNKNOWN, "Không có danh sách thu hồi (CRL) hoặc trả lời OCSP hợp lệ cho chứng thư số" + (
        f" (không tải được: {unreachable})." if unreachable else "."
    )


def verify_pdf(
    pdf: bytes,
    trust_roots: list[x509.Certificate],
    *,
    revocation: str | None = None,
    timeout: int | None = None,
) -> Verification:
    """Check every signature: integrity, chain to `trust_roots`, validity at signing time,
    and revocation where reachable.

    `revocation` (default: the setting `DOCUMENTS_REVOCATION`): `soft` fetches the CRLs and
    OCSP responses the certificates name and treats an unreachable source as unknown; `hard`
    makes an unreachable source a failure; `off` fetches nothing. A revoked signer's
    certificate always fails. `timeout` is per request, in seconds.
    """
    mode, seconds = _revocation_settings(revocation, timeout)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:
        return Verification(error=f"Không đọc được tệp PDF: {exc}")
    if not embedded:
        return Verification(error="Tệp PDF không có chữ ký số.")
    roots = [_asn1(c) for c in trust_roots]
    checks = []
    for sig in embedded:
        context = ValidationContext(
            trust_roots=roots,
            allow_fetching=mode != "off",
            revocation_mode=REVOCATION_MODES[mode],
            fetcher_backend=RequestsFetcherBackend(per_request_timeout=seconds)
            if mode != "off"
            else None,
        )
        try:
            status = validate_pdf_signature(sig, context)
        except Exception as exc:
            checks.append(
                SignatureCheck(sig.field_name, "", "", False, False, False, f"Lỗi: {exc}")
            )
            continue
        revoked, note = _revocation(sig, status, context, roots, mode)
        signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
        signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
        checks.append(
            SignatureCheck(
                field_name=sig.field_name,
                signer=signer,
                signed_at=signed_at,
                intact=bool(status.intact and status.valid),
                trusted=bool(status.trusted),
                covers_whole_file=status.coverage is not None
                and status.coverage.name == "ENTIRE_FILE",
                summary=status.summary(),
                timestamped=status.timestamp_validity is not None,
                revocation=revoked,
                revocation_note=note,
            )
        )
    return Verification(signatures=checks)
