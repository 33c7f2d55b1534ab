"""The agency's seal on an electronic result: one PAdES signature (pyHanko, the documents
module's keys and fonts) whose visible stamp is pyHanko's QR stamp style: a QR code holding
the public verification address, beside the text that prints the verification code, the
dossier code and that address, so a reader without a phone can type it.

Legal sources: Decree 30/2020/NĐ-CP Annex I §II.8 (the agency's signature on an electronic
document), Decree 45/2020/NĐ-CP (electronic results). The stamp's place, the bottom left of
the last page, is ours [UNCONFIRMED: no rule gives a place for a verification code]. CPU
only, no network with the embedded keystore; a remote signing key uses the network, so
callers sign before any transaction opens.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import QRStampStyle

from tinhso.core import fonts
from tinhso.documents import signing

FIELD_NAME = "KetQuaDienTu"
# A4 is 595 x 842 pt: the bottom left, under the usual bottom margin of a rendered result.
BOX = (28, 14, 330, 96)
FONT_SIZE = 7


def stamp_text(*, agency: str, dossier_code: str, code: str, url: str) -> str:
    """The stamp's lines (pyHanko fills `%(ts)s`; a literal % is doubled)."""
    lines = [
        "KẾT QUẢ ĐIỆN TỬ – " + agency,
        "Hồ sơ: " + dossier_code,
        "Mã xác thực: " + code,
        "Xác thực tại: " + url,
        "Ký số lúc: %(ts)s",
    ]
    return "\n".join(line.replace("%", "%%") if "%(ts)s" not in line else line for line in lines)


def seal_pdf(
    pdf: bytes,
    key: signing.KeySource,
    *,
    url: str,
    text: str,
    reason: str = "Kết quả giải quyết thủ tục hành chính điện tử",
    location: str = "",
) -> bytes:
    """`pdf` with the agency's signature and its QR stamp added (incremental update: earlier
    signatures stay valid). SigningError for a file pyHanko cannot read."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        last = int(writer.root["/Pages"]["/Count"]) - 1
    except Exception as exc:  # pyHanko raises several types for a broken file
        raise signing.SigningError(f"Không đọc được tệp PDF: {exc}") from None
    style = QRStampStyle(
        stamp_text=text,
        text_box_style=signing._font_style(fonts.font_file(fonts.SANS), FONT_SIZE, text),
        border_width=1,
        timestamp_format="%Y-%m-%dT%H:%M:%S%z",
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    signer = key.signer()
    try:
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=last, box=BOX),
        )
        out = io.BytesIO()
        room = signer.room if isinstance(signer, signing._LoadedKeySigner) else None
        pdf_signer.sign_pdf(
            writer, output=out, bytes_reserved=room, appearance_text_params={"url": url}
        )
    except signing.SigningError:
        raise
    except Exception as exc:  # a field of that name already, a broken page tree
        raise signing.SigningError(f"Không ký được tệp PDF: {exc}") from None
    finally:
        close = getattr(signer, "close", None)
        if callable(close):
            close()
    return out.getvalue()
