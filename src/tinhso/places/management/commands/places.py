"""`tinhso places import`: provinces, communes and the 63 old provinces (idempotent);
`tinhso places import-boundaries <file.geojson>`: the communes' boundaries (replaced)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.places.boundaries import BoundaryImportError, import_boundaries
from tinhso.places.importer import import_places


class Command(BaseCommand):
    help = "Administrative units: import them from the vietnam-provinces package."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("import", help="create or update provinces and communes; safe to rerun")
        bounds = sub.add_parser(
            "import-boundaries", help="commune boundaries from a GeoJSON FeatureCollection"
        )
        bounds.add_argument("file", type=Path)
        bounds.add_argument(
            "--code-property",
            default="ma_xa",
            help="the feature property holding the commune's GSO code (default ma_xa)",
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "import-boundaries":
            self._boundaries(options["file"], options["code_property"])
            return
        result = import_places()
        self.stdout.write(result.summary())
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        )

    def _boundaries(self, path: Path, code_property: str) -> None:
        try:
            collection = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        try:
            result = import_boundaries(
                collection, code_property=code_property, source=path.name, actor=None
            )
        except BoundaryImportError as exc:
            raise CommandError("nothing imported: " + "; ".join(exc.problems)) from None
        self.stdout.write(result.summary())
