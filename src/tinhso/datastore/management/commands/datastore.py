"""`tinhso datastore list <personal id or tax code> [--json]`: the documents in a citizen's or
an organisation's store (kind, number, issuer, dates, provenance, `ref`);
`tinhso datastore export <ref> <file>`: write one document's file (for an operator answering
a request of the owner or a competent authority).

Both are reads of personal data (Decree 13/2023/NĐ-CP: processing is logged, and the owner
sees who read their documents). A command run on the server has no account behind it, so the
reader is named by a fixed label, `StoredDocumentRead.SYSTEM_OPERATOR` ("quản trị hệ thống
(dòng lệnh)"): `list` writes a `personal_data.read` audit record naming the refs it showed;
`export` records a read through `actions.record_read` (on the owner's "Ai đã xem" page, with
its `--reason`) and a `datastore.exported` audit record, in the transaction that writes the
file, so a failed write records nothing. docs/datastore.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tinhso.core import audit, context
from tinhso.datastore import actions, queries
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import StoredDocument, StoredDocumentRead

DEFAULT_REASON = "Xuất tệp theo yêu cầu của chủ sở hữu hoặc cơ quan có thẩm quyền"


def operator() -> str:
    """The reader a command records: an OS-level command has no account."""
    return str(StoredDocumentRead.SYSTEM_OPERATOR)


def row(document: StoredDocument) -> dict[str, Any]:
    return {
        "ref": document.ref,
        "kind": document.kind.code,
        "kind_name": document.kind.name,
        "number": document.number,
        "issuer": document.issuer_label,
        "issued_on": document.issued_on.isoformat() if document.issued_on else None,
        "expires_on": document.expires_on.isoformat() if document.expires_on else None,
        "provenance": document.provenance,
        "source_dossier": document.source_dossier_code,
        "signature": document.signature,
        "sha256": document.sha256,
    }


class Command(BaseCommand):
    help = "The electronic data store: list a citizen's or organisation's documents; export one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser("list", help="the documents of one store, newest first")
        listing.add_argument("owner", help="personal identification number (12 digits) or tax code")
        listing.add_argument("--json", action="store_true", help="a JSON array")
        report = sub.add_parser(
            "indicators",
            help="Decision 766: results issued electronically, dossiers digitised, reuse",
        )
        report.add_argument("--period", required=True, help="2026-11, 2026-Q4 or 2026")
        report.add_argument("--agency", default="", help="one agency's code (default: all)")
        report.add_argument("--json", action="store_true", help="JSON")
        export = sub.add_parser("export", help="write one document's file")
        export.add_argument("ref", help="the document's ref, as `list` shows it (doc:<id>)")
        export.add_argument("file", help="where to write it")
        export.add_argument(
            "--reason",
            default=DEFAULT_REASON,
            help="why it is exported; shown to the owner (default: %(default)s)",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "indicators":
            self._indicators(options["period"], options.get("agency") or "", options["json"])
            return
        with context.acting_as(None, channel="command"):
            if subcommand == "list":
                self._list(options["owner"], bool(options.get("json")))
            else:
                self._export(options["ref"], options["file"], options["reason"])

    def _indicators(self, text: str, code: str, as_json: bool) -> None:
        """Decision 766 digitisation and reuse indicators (`datastore/indicators.py`)."""
        from tinhso.core.periods import PeriodError, parse
        from tinhso.datastore import indicators
        from tinhso.places.models import Agency

        try:
            period = parse(text)
        except PeriodError as exc:
            raise CommandError(exc.message) from None
        agency = None
        if code:
            agency = Agency.objects.filter(code=code.strip()).first()
            if agency is None:
                raise CommandError(f"no agency {code!r}")
        rows = indicators.compute(period, agency=agency)
        if as_json:
            out = {"period": str(period), "agencies": [r.as_dict() for r in rows]}
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(f"{r.agency or '(toàn tỉnh)'} {r.name}")
            for item in r.indicators.values():
                rate = item.rate
                shown = f"{rate}%" if rate is not None else "chưa có dữ liệu"
                self.stdout.write(
                    f"  {indicators.LABELS[item.code]}: {item.numerator}/{item.denominator} "
                    f"({shown})"
                )

    def _list(self, identifier: str, as_json: bool) -> None:
        owner = queries.store_owner(identifier)
        if owner is None:
            raise CommandError(f"no citizen or organisation {identifier!r}")
        rows = [row(d) for d in queries.documents_of(owner)]
        audit.record(
            audit.READ_PERSONAL_DATA,
            owner,
            actor=operator(),
            changes={"fields": ["stored_documents"], "documents": [r["ref"] for r in rows]},
        )
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['ref']:<10} {r['kind']:<10} {r['number'] or '-':<20} "
                f"{r['issued_on'] or '-':<10} {r['expires_on'] or '-':<10} {r['provenance']:<15} "
                f"{r['issuer']}"
            )

    def _export(self, ref: str, file: str, reason: str) -> None:
        document = queries.document_by_ref(ref)
        if document is None:
            raise CommandError(f"no document {ref!r}")
        with document.file.open("rb") as handle:
            content = handle.read()
        try:
            with transaction.atomic():
                actions.record_read(
                    document, official=None, agency=None, reason=reason, actor_label=operator()
                )
                audit.record(
                    "datastore.exported",
                    document,
                    actor=operator(),
                    changes={"file": file, "sha256": document.sha256},
                )
                Path(file).write_bytes(content)
        except DatastoreError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc}") from exc
        self.stdout.write(f"{ref}: {len(content)} bytes written to {file}")
