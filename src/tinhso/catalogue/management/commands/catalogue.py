"""`tinhso catalogue import <path-or-folder>…` and `tinhso catalogue demo`.

The import reads detail records of the national public-service portal (Cổng DVCQG) and is
idempotent: a record whose content is unchanged creates nothing; a changed one publishes a new
version (audited).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context


class Command(BaseCommand):
    help = "Procedure catalogue: import national portal records, load the demo catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import DVCQG detail records (files or folders)")
        imp.add_argument("paths", nargs="+", type=Path)
        imp.add_argument("--verbose-errors", action="store_true", help="list every failed record")
        sub.add_parser("demo", help="load the demo catalogue; safe to run again")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "demo":
            from tinhso.catalogue.demo import load_demo

            with context.acting_as(None, channel="command"):
                result = load_demo()
            self.stdout.write(result.summary())
            return
        from tinhso.catalogue.importer import import_paths

        for path in options["paths"]:
            if not path.exists():
                raise CommandError(f"không tìm thấy {path}")
        with context.acting_as(None, channel="command"):
            report = import_paths(options["paths"], actor=None)
        self.stdout.write(report.summary())
        for label, reason in report.failed[: None if options["verbose_errors"] else 10]:
            self.stderr.write(f"  {label}: {reason}")
        if report.failed and not (report.created or report.updated or report.unchanged):
            raise CommandError("không nhập được bản ghi nào")
