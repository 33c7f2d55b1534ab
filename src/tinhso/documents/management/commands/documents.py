"""`tinhso documents list` and `tinhso documents export <id> <dir>`.

`list` prints one line per document: id, number and notation, direction, state.
`export` writes a document's PDF file(s) and its edXML package(s) to a folder, for archives
and for checking with other tools (pdfsig, xmlsec1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.documents.models import Document, DocumentFile


class Command(BaseCommand):
    help = "Văn bản: list documents, export a document's signed files and edXML package."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="one line per document: id, number, direction, state")
        export = sub.add_parser("export", help="write a document's PDF(s) and edXML to a folder")
        export.add_argument("id", type=int)
        export.add_argument("dir", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            self._list()
        else:
            self._export(options["id"], options["dir"])

    def _list(self) -> None:
        for doc in Document.objects.order_by("id").iterator():
            number = doc.number_and_notation or "-"
            self.stdout.write(f"{doc.pk}\t{number}\t{doc.direction}\t{doc.state}")

    def _export(self, pk: int, folder: Path) -> None:
        doc = Document.objects.filter(pk=pk).first()
        if doc is None:
            raise CommandError(f"no document with id {pk}")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        used: set[str] = set()
        for f in doc.files.order_by("id"):
            name = Path(f.name).name or f"file-{f.pk}"
            if f.kind == DocumentFile.Kind.EDXML and not name.endswith(".edxml"):
                name += ".edxml"
            if name in used:
                name = f"{f.pk}-{name}"
            used.add(name)
            (folder / name).write_bytes(bytes(f.data))
            written.append(name)
        for name in written:
            self.stdout.write(str(folder / name))
