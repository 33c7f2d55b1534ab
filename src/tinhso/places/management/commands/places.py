"""`tinhso places import`: provinces, communes and the 63 old provinces (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tinhso.places.importer import import_places


class Command(BaseCommand):
    help = "Administrative units: import them from the vietnam-provinces package."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("import", help="create or update provinces and communes; safe to rerun")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        result = import_places()
        self.stdout.write(result.summary())
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        )
