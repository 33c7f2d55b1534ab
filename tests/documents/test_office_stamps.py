"""What the signed, issued document looks like: the signer's and the agency's visible stamps
keep their words clear of the signature and the seal images (checked on the rendered page,
as a reader sees it), and the issued file is named by its number and notation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.tools import requires_tool
from tinhso.documents import actions, pki, signing, stamps

PNG_DPI = 200


def _blank_pdf() -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string="<p>Văn bản thử</p>").write_pdf())


def _pixels(pdf: bytes, folder: Path) -> Image.Image:
    """The (one) page as a reader sees it (poppler), at PNG_DPI."""
    (folder / "signed.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(PNG_DPI), "-png", "-singlefile", "signed.pdf", "page"],
        cwd=folder,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return Image.open(folder / "page.png").convert("RGB")


def _where(image: Image.Image, box: signing.Box, test) -> set[tuple[int, int]]:
    """The pixels inside the PDF `box` (points, origin bottom left) that pass `test`."""
    scale = PNG_DPI / 72
    height = image.height
    x0, y0, x1, y1 = box
    found = set()
    for x in range(int(x0 * scale), int(x1 * scale)):
        for y in range(int(height - y1 * scale), int(height - y0 * scale)):
            if test(image.getpixel((x, y))):
                found.add((x, y))
    return found


def _red(p):
    return p[0] > 150 and p[1] < 110 and p[2] < 110


def _blue(p):
    return p[2] > 120 and p[0] < 110 and p[1] < 130


def _black(p):
    return max(p) < 140 and max(p) - min(p) < 40  # dark grey to black: the words


def _near(a: set[tuple[int, int]], b: set[tuple[int, int]], gap: int = 1) -> int:
    """How many pixels of `a` touch a pixel of `b` (within `gap`)."""
    return sum(
        1
        for x, y in a
        if any((x + dx, y + dy) in b for dx in range(-gap, gap + 1) for dy in range(-gap, gap + 1))
    )


@requires_tool("pdftoppm")
def test_the_stamps_words_do_not_cover_the_signature_or_the_seal(test_ca, tmp_path):
    signer_keys = pki.issue(test_ca, "Phạm Minh Đức", "Ủy ban nhân dân tỉnh Đắk Lắk")
    agency_keys = pki.issue(test_ca, "Ủy ban nhân dân tỉnh Đắk Lắk", "Ủy ban nhân dân tỉnh")
    signer_box, agency_box = signing.SIGNER_BOX, signing.AGENCY_BOX
    pdf = signing.sign_pdf(
        _blank_pdf(),
        signing.SigningKey(signer_keys.to_pkcs12(b"x"), b"x"),
        field_name="ChuKyNguoiCoThamQuyen",
        stamp_text="KT. CHỦ TỊCH PHÓ CHỦ TỊCH\nPhạm Minh Đức\n%(ts)s",
        box=signer_box,
        image=stamps.signature(),
        text_indent=(signer_box[2] - signer_box[0]) // 3,
    )
    pdf = signing.sign_pdf(
        pdf,
        signing.SigningKey(agency_keys.to_pkcs12(b"x"), b"x"),
        field_name="ChuKyCoQuan",
        stamp_text="Ủy ban nhân dân tỉnh Đắk Lắk\nSố: 15/QĐ-UBND\n%(ts)s",
        box=agency_box,
        image=stamps.seal("UBND"),
    )
    page = _pixels(pdf, tmp_path)
    whole = (
        min(signer_box[0], agency_box[0]),
        min(signer_box[1], agency_box[1]),
        max(signer_box[2], agency_box[2]),
        max(signer_box[3], agency_box[3]),
    )
    seal = _where(page, whole, _red)
    signature = _where(page, whole, _blue)
    words = _where(page, whole, _black)
    assert len(seal) > 500 and len(signature) > 200 and len(words) > 100  # all drawn
    assert _near(words, seal) == 0
    assert _near(words, signature) == 0
    # The seal still covers the left part of the signature, as Annex I §II.8 draws it.
    assert min(x for x, _ in signature) < max(x for x, _ in seal)


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("15/QĐ-UBND", "15-QD-UBND.pdf"),
        ("02/KH-UBND", "02-KH-UBND.pdf"),
        ("125/UBND-KSTT", "125-UBND-KSTT.pdf"),
        ("", "van-ban.pdf"),
    ],
)
def test_the_issued_file_is_named_by_its_number_and_notation(number, name):
    assert actions.issued_file_name(number) == name
