"""`tinhso audit verify`: walk the audit chain and name the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import audit


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="check that no record was edited or removed")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        result = audit.verify()
        if not result.ok:
            raise CommandError(f"audit chain broken: {result.message}")
        self.stdout.write(f"audit chain intact: {result.checked} records")
