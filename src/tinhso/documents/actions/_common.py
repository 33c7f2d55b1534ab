"""What the topic modules share: the clock, the document's files (main file, issued file
name, the search index), the row lock and the state transition with its audit record, the
edXML constants (outbox kinds, urgency priority), and the checks that a document did not
change while it was being signed outside a transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from datetime import datetime
from typing import Any

from django.utils import timezone

from tinhso.core import audit
from tinhso.core.text import search_key
from tinhso.documents import edxml, errors, numbering, pdfcheck, textextract
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Certificate, Document, DocumentFile, Urgency
from tinhso.places.models import Agency

log = logging.getLogger("tinhso.documents")

SEND_PACKAGE = "documents.send_package"
SEND_STATUS = "documents.send_status"
PDF = "application/pdf"
EDXML = "application/xml"
URGENCY_PRIORITY = {
    Urgency.NORMAL: 0,
    Urgency.URGENT: 1,
    Urgency.VERY_URGENT: 2,
    Urgency.EXPRESS: 3,
}


def _now() -> datetime:
    return timezone.now()


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _file(document: Document, kind: str, name: str, content_type: str, data: bytes) -> DocumentFile:
    return DocumentFile.objects.create(
        document=document,
        kind=kind,
        name=name,
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def main_file(document: Document) -> DocumentFile | None:
    return document.files.filter(kind=DocumentFile.Kind.MAIN).order_by("-id").first()


def issued_file_name(number_and_notation: str) -> str:
    """The issued document's file name, from its number and notation: "15/QĐ-UBND" →
    "15-QD-UBND.pdf" (ASCII, so every mail client and file system keeps it)."""
    bare = unicodedata.normalize("NFD", number_and_notation.replace("Đ", "D").replace("đ", "d"))
    ascii_only = "".join(ch for ch in bare if unicodedata.category(ch) != "Mn")
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_only).strip("-")
    return f"{stem or 'van-ban'}.pdf"


def _replace_main(document: Document, data: bytes, *, name: str = "") -> DocumentFile:
    current = main_file(document)
    name = name or (current.name if current else f"van-ban-{document.pk}.pdf")
    document.files.filter(kind=DocumentFile.Kind.MAIN).delete()
    return _file(document, DocumentFile.Kind.MAIN, name, PDF, data)


def _index(document: Document, extra: str = "") -> None:
    """The folded text full-text search looks in: `subject_key` (number, notation, subject;
    ranked higher) and `search_text` (those, content, sender and the files' text). A DOCX
    source is read instead of the PDF converted from it (same text, counted once)."""
    files = list(
        document.files.filter(
            kind__in=[
                DocumentFile.Kind.MAIN,
                DocumentFile.Kind.ATTACHMENT,
                DocumentFile.Kind.SOURCE,
            ]
        )
    )
    has_source = any(f.kind == DocumentFile.Kind.SOURCE for f in files)
    extra = " ".join(
        [extra]
        + [
            textextract.extract(bytes(f.data), f.content_type, f.name)
            for f in files
            if not (has_source and f.kind == DocumentFile.Kind.MAIN)
        ]
    )
    document.subject_key = search_key(document.number_and_notation, document.subject)[:5_000]
    parts = [
        document.number_and_notation,
        document.subject,
        document.content,
        document.sender_name,
        extra,
    ]
    document.search_text = search_key(" ".join(p for p in parts if p))[:200_000]


def organ(agency: Agency) -> edxml.Organ:
    return edxml.Organ(organ_id=agency.code, name=agency.name)


def _notation(doc_type: str, agency: Agency, unit: str) -> str:
    try:
        return numbering.notation(doc_type, agency.short_name, unit)
    except numbering.NotationError as exc:
        raise errors.invalid(errors.BAD_NOTATION, "unit", str(exc)) from None


def _refuse_active_content(pdf: bytes, field: str = "file") -> None:
    """Refuse a PDF holding content a viewer may run or open by itself (`pdfcheck`): where a
    PDF enters the drafting workflow and again before anything is signed, so a file stored
    before this check was in place is not signed either (security issue item 5)."""
    found = pdfcheck.active_content(pdf)
    if found:
        log.warning("PDF refused, active content: %s", ", ".join(found))
        raise errors.invalid(errors.ACTIVE_PDF, field)


def _locked(document: Document) -> Document:
    """The document's row, locked until the transaction ends (the caller holds one).

    FOR NO KEY UPDATE, not FOR UPDATE: a recall locks the sender's document and then writes
    its local recipient's copy, while an answer on that copy locks the copy and inserts a
    status event pointing at the sender's document (a key-share lock on it). FOR UPDATE
    blocks that key-share lock and the two deadlock; the weaker lock lets the insert pass, and
    the recall then waits for the copy's row in the one order."""
    return Document.objects.select_for_update(no_key=True).get(pk=document.pk)


def _refuse(refusal: DocumentError | None) -> None:
    if refusal is not None:
        raise refusal


def _transition(doc: Document, allowed: set[str], new: str, action: str, actor: Any) -> None:
    if doc.state not in allowed:
        raise DocumentError(errors.WRONG_STATE, state=doc.get_state_display())
    before = audit.snapshot(doc, ["state"])
    doc.state = new
    doc.save(update_fields=["state", "updated_at"])
    audit.record(
        action, doc, changes=audit.diff(before, audit.snapshot(doc, ["state"])), actor=actor
    )


#
# Signing may reach a remote signing service, a PKCS#11 token and a timestamp server, and
# checking a signature fetches CRLs and OCSP answers: none of it runs while a transaction
# holds a row lock (on SQLite that would block every writer). Each action reads the document
# and checks its rule, signs and verifies, then locks the row, checks again that the document
# is as it was (state, main file, attachments, certificate) and writes; a document that
# changed meanwhile is refused with `documents.changed_while_signing` and the signature is
# thrown away.


def _fresh(document: Document) -> Document:
    return Document.objects.select_related("agency").get(pk=document.pk)


def _files_of(doc: Document) -> dict[int, str]:
    """The files signing works on (main and attachments), as id → sha256."""
    kinds = [DocumentFile.Kind.MAIN, DocumentFile.Kind.ATTACHMENT]
    return dict(doc.files.filter(kind__in=kinds).values_list("pk", "sha256"))


def _still(doc: Document, state: str, files: dict[int, str], cert: Certificate) -> None:
    """The locked document is as it was when the signature was made; else refuse."""
    unchanged = (
        doc.state == state
        and _files_of(doc) == files
        and Certificate.objects.filter(pk=cert.pk, state=Certificate.State.ACTIVE).exists()
    )
    if not unchanged:
        raise DocumentError(errors.CHANGED_WHILE_SIGNING)
