"""Demo images for visible signatures: a red seal and a blue handwritten-style signature.

Decree 30/2020/NĐ-CP Annex I §II.7: the signer's image is the handwritten signature, blue,
transparent PNG; the agency's image is the seal, red, transparent PNG. These drawings say
TEST and stand in for the scanned originals an administrator uploads.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from tinhso.core import fonts

RED = (220, 20, 30, 255)
BLUE = (20, 40, 200, 255)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seal(short_name: str, size: int = 300) -> bytes:
    """A round red seal with the agency's short name and TEST."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((6, 6, size - 6, size - 6), outline=RED, width=10)
    draw.ellipse((40, 40, size - 40, size - 40), outline=RED, width=4)
    bold = str(fonts.font_file(bold=True))
    font = ImageFont.truetype(bold, size // 7)
    small = ImageFont.truetype(bold, size // 10)
    draw.text((size / 2, size / 2), short_name, fill=RED, font=font, anchor="mm")
    draw.text((size / 2, size * 0.72), "TEST", fill=RED, font=small, anchor="mm")
    return _png(img)


def signature(width: int = 360, height: int = 160) -> bytes:
    """A blue flourish in place of a scanned handwritten signature."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = [
        (20 + x, height / 2 + math.sin(x / 18) * 40 * math.exp(-x / 400))
        for x in range(0, width - 40, 4)
    ]
    draw.line(points, fill=BLUE, width=5, joint="curve")
    return _png(img)
