"""`tinhso audit verify|seal`: check the sealed chain, its checkpoints and anchors; seal now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import audit


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "verify",
            help="check that no record was edited, removed, inserted or reordered, and that "
            "every checkpoint is signed and matches its anchored copy",
        )
        sub.add_parser("seal", help="seal the records written since the last checkpoint")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "seal":
            total = 0
            while sealed := audit.seal().records:
                total += sealed
            self.stdout.write(f"sealed {total} records")
            return
        result = audit.verify()
        if not result.ok:
            raise CommandError(f"audit chain broken: {result.message}")
        self.stdout.write(f"audit chain intact: {result.message}")
        self.stdout.write(
            f"not yet sealed: {result.unsealed} records"
            + (
                f", the oldest {result.oldest_unsealed_seconds:.0f} s old"
                if result.unsealed
                else ""
            )
        )
