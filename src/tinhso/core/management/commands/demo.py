"""`tinhso demo load`: the demo data of the embedded default (idempotent).

Each app's `demo.py` loads its own part; the command finds them (`tinhso.core.demo`) and
names no app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context, demo


class Command(BaseCommand):
    help = "Load the demo data: places, agencies of the province, demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("load", help="create what is missing; safe to run again")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo data is for the embedded default, not production")
        lines: list[str] = []
        with context.acting_as(None, channel="command"):
            for loader in demo.loaders():
                lines += loader.load()
        self.stdout.write("demo data ready")
        for line in lines:
            self.stdout.write(line)
