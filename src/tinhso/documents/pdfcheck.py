"""Active content in a PDF: what a viewer may run or open by itself (security issue item 5).

A PDF that enters the signing workflow (a draft's file, a corrected file) must hold text and
pictures only: the agency's signature vouches for the document, and it goes to every
recipient's office. Refused: JavaScript (`/JavaScript`, `/JS`, also behind `/OpenAction` or
`/AA`), launch actions (`/Launch`), rich media (`/RichMedia`), XFA forms (`/XFA`), embedded
files (`/EmbeddedFile`, `/EmbeddedFiles`) and form actions that send or load data
(`/SubmitForm`, `/ImportData`). Source: ISO 32000-1 §12.6 (actions), §7.11.4 (embedded files),
§12.7.8 (XFA); Decree 30/2020/NĐ-CP Annex I (an issued document is its text and signatures).

A pure function of the bytes (no I/O). A name counts wherever it appears as a name, key or
value, with its `#xx` escapes decoded (`/J#61vaScript` is `/JavaScript`). Two readings, and
either finding is enough:
- lexical, over the file with stream data left out (binary data would match short names by
  chance), and over the content of every object stream, inflated here within MAX_INFLATED
  bytes in all (a decompression bomb is refused, not expanded);
- structural, with pypdf: each object the cross-reference table points at, wherever that
  falls (an object hidden inside another stream's data is still an object to a viewer), and
  the object streams it names. A file pypdf cannot read keeps the lexical reading only.
An object stream this module cannot read within the budget (another filter than Flate, a
predictor, a broken or oversized stream) is reported as UNCHECKED: content that cannot be
checked is not signed either.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/RichMedia",
        "/XFA",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/SubmitForm",
        "/ImportData",
    }
)
UNCHECKED = "/ObjStm (unreadable)"
MAX_INFLATED = 8 * 1024 * 1024  # bytes inflated from object streams, all of them together

_FLATE = {"/FlateDecode", "/Fl"}
_NAME = re.compile(rb"/[^\x00\t\n\x0c\r /<>\[\]()%{}]*")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# What changes how the bytes after it are read: a string, a comment, an object's start
# ("12 0 obj") and a stream's start (its dictionary's ">>", the keyword, the end of line).
_SYNTAX = re.compile(
    rb"[(%]|(?<![\w.])\d+\s+\d+\s+obj(?![A-Za-z])|>>[\x00\t\n\x0c\r ]*stream(?:\r\n|\n|\r)"
)
_IN_STRING = re.compile(rb"[()\\]")
_EOL = re.compile(rb"[\r\n]")


def active_content(pdf: bytes) -> tuple[str, ...]:
    """The active-content names found in `pdf` (sorted; UNCHECKED among them when an object
    stream could not be read), or () for a PDF with none."""
    found: set[str] = set()
    budget = _Budget(MAX_INFLATED)
    found |= _lexical(pdf, budget)
    found |= _structural(pdf, budget)
    return tuple(sorted(found))


class _Budget:
    """Inflation left for this file, shared by every object stream; each stream once."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.seen: set[bytes] = set()

    def inflate(self, raw: bytes) -> bytes | None:
        """`raw` Flate-decoded, or None when it is broken or does not fit what is left."""
        try:
            inflater = zlib.decompressobj()
            out = inflater.decompress(raw, self.left + 1)
        except zlib.error:
            return None
        if len(out) > self.left:
            self.left = 0
            return None
        self.left -= len(out)
        return out

    def first_time(self, raw: bytes) -> bool:
        key = hashlib.sha256(raw.rstrip(b"\r\n")).digest()
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _decoded(name: bytes) -> str:
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
    return raw.decode("latin-1")


def _names(data: bytes) -> Iterator[str]:
    for match in _NAME.finditer(data):
        yield _decoded(match.group())


def _active(names: Iterable[str]) -> set[str]:
    return {name for name in names if name in ACTIVE_NAMES}


def _object_stream(filters: list[str], raw: bytes, budget: _Budget, *, parms: bool) -> set[str]:
    """The active names inside an object stream's content (UNCHECKED if unreadable). Its
    content holds only objects, no stream data: every name in it counts, strings included
    (an object may start at any offset the stream's header gives)."""
    if not budget.first_time(raw):
        return set()
    if parms or len(filters) > 1 or (filters and filters[0] not in _FLATE):
        return {UNCHECKED}
    content = budget.inflate(raw) if filters else raw
    if content is None:
        return {UNCHECKED}
    return _active(_names(content))


def _lexical(pdf: bytes, budget: _Budget) -> set[str]:
    """Names outside stream data, and inside object streams (see the module's docstring)."""
    outside: list[bytes] = []
    found: set[str] = set()
    pos = kept = obj_start = 0
    while (match := _SYNTAX.search(pdf, pos)) is not None:
        token = match.group()
        if token == b"(":
            pos = _string_end(pdf, match.start())
        elif token == b"%":
            eol = _EOL.search(pdf, match.end())
            pos = eol.end() if eol else len(pdf)
        elif token.endswith(b"obj"):
            pos = obj_start = match.end()
        else:  # a stream: its data runs to `endstream`
            start = match.end()
            end = pdf.find(b"endstream", start)
            end = len(pdf) if end < 0 else end
            outside.append(pdf[kept:start])
            head = list(_names(pdf[obj_start : match.start()]))  # the stream's dictionary
            if "/ObjStm" in head or "/First" in head:
                filters = [n for n in head if n.endswith("Decode") or n in _FLATE]
                if "/Filter" in head and not filters:  # the filter is an indirect object
                    filters = ["?"]
                parms = "/DecodeParms" in head or "/DP" in head
                found |= _object_stream(filters, pdf[start:end], budget, parms=parms)
            pos = kept = obj_start = end
    outside.append(pdf[kept:])
    return found | _active(_names(b"\n".join(outside)))


def _string_end(data: bytes, start: int) -> int:
    """Where the literal string opening at `start` ends (balanced parentheses, `\\` escapes)."""
    depth, pos = 0, start
    while (match := _IN_STRING.search(data, pos)) is not None:
        char = data[match.start()]
        if char == 0x5C:  # backslash: the next byte is escaped
            pos = match.start() + 2
            continue
        depth += 1 if char == 0x28 else -1
        pos = match.end()
        if depth == 0:
            return pos
    return len(data)


def _structural(pdf: bytes, budget: _Budget) -> set[str]:
    """Each object at an offset of the cross-reference table, read by pypdf (best effort)."""
    try:
        from pypdf import PdfReader
        from pypdf.generic import IndirectObject

        reader = PdfReader(io.BytesIO(pdf), strict=False)
        compressed = dict(reader.xref_objStm)
        containers = {entry[0] for entry in compressed.values()}
    except Exception:  # pypdf cannot read it: the lexical reading stands alone
        return set()
    found: set[str] = set()
    for generation, table in reader.xref.items():
        for number in table:
            if number in compressed:  # read from its object stream below, not by pypdf
                continue
            try:
                obj: Any = reader.get_object(IndirectObject(number, generation, reader))
                found |= _active(_walk(obj))
                if _is_stream(obj) and (number in containers or obj.get("/Type") == "/ObjStm"):
                    found |= _pypdf_object_stream(obj, budget)
            except Exception:  # noqa: S112 (an unreadable object is no object to a viewer either)
                continue
    return found


def _is_stream(obj: Any) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(obj, StreamObject)


def _pypdf_object_stream(obj: Any, budget: _Budget) -> set[str]:
    from pypdf.generic import ArrayObject

    declared = obj.get("/Filter")
    filters = [str(f) for f in declared] if isinstance(declared, ArrayObject) else []
    if declared is not None and not isinstance(declared, ArrayObject):
        filters = [str(declared)]
    parms = obj.get("/DecodeParms") is not None or obj.get("/DP") is not None
    raw = bytes(getattr(obj, "_data", b""))  # the encoded bytes, decoded here within budget
    return _object_stream(filters, raw, budget, parms=parms)


def _walk(obj: Any, depth: int = 0) -> Iterator[str]:
    """Every name in a direct object: keys and values, nested dictionaries and arrays (an
    indirect reference is an object of its own, read in its turn)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if depth > 64:
        return
    if isinstance(obj, NameObject):
        yield str(obj)
    elif isinstance(obj, DictionaryObject):  # a stream object is one as well
        for key, value in dict.items(obj):
            yield str(key)
            yield from _walk(value, depth + 1)
    elif isinstance(obj, ArrayObject):
        for item in list.__iter__(obj):
            yield from _walk(item, depth + 1)
