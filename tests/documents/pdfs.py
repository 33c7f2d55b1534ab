"""Small PDFs written byte by byte for the active-content tests: each is a complete, readable
one-page document (pypdf opens it), with or without a JavaScript action on opening, in the
three shapes a detector must see through: plain names, names with `#xx` escapes, and objects
packed into a compressed object stream (PDF 1.5, cross-reference stream)."""

from __future__ import annotations

import zlib

CONTENT = b"BT /F1 12 Tf 72 720 Td (Van ban) Tj ET"
JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
ESCAPED_JS_ACTION = b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"
NO_ACTION = b"<< /S /GoTo /D [3 0 R /Fit] >>"  # open at the first page: harmless


def _objects(action: bytes) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources"
        b" << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        action,
    ]


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def classic(action: bytes = JS_ACTION, *, hidden: bool = False) -> bytes:
    """Every object in the file as written, a classic cross-reference table. `hidden`: the
    action (object 4) sits inside the page's content stream, where only the table points."""
    bodies = dict(enumerate(_objects(action), 1))
    if hidden:
        packed = b"4 0 obj\n%s\nendobj\n" % bodies.pop(4)
        bodies[5] = _stream(CONTENT + b"\n" + packed)
    else:
        bodies[5] = _stream(CONTENT)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in sorted(bodies.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    if hidden:
        offsets[4] = out.index(b"4 0 obj\n")
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n"
    for number in range(1, 6):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def object_stream(action: bytes = JS_ACTION, *, compressed_body: bytes | None = None) -> bytes:
    """Objects 1-4 (catalog, pages, page, the opening action) inside a Flate-compressed object
    stream (6), the page's content (5) as written, a cross-reference stream (7)."""
    packed = _objects(action)
    header, body = b"", b""
    for number, obj in enumerate(packed, 1):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    plain = header + body
    data = zlib.compress(compressed_body if compressed_body is not None else plain)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    offsets[5] = len(out)
    out += b"5 0 obj\n%s\nendobj\n" % _stream(CONTENT)
    offsets[6] = len(out)
    extra = b" /Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (len(packed), len(header))
    out += b"6 0 obj\n%s\nendobj\n" % _stream(data, extra)
    offsets[7] = len(out)
    rows = [bytes([0]) + (0).to_bytes(4, "big") + (0xFFFF).to_bytes(2, "big")]
    rows += [bytes([2]) + (6).to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(4)]
    rows += [bytes([1]) + offsets[n].to_bytes(4, "big") + (0).to_bytes(2, "big") for n in (5, 6, 7)]
    table = b"".join(rows)
    extra = b" /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R"
    out += b"7 0 obj\n%s\nendobj\n" % _stream(table, extra)
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[7]
    return bytes(out)
