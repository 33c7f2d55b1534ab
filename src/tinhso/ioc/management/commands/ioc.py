"""`tinhso ioc index --unit CODE --period 2026-11 [--json]`: the Decision 766 index of a
province (GSO code), agency or commune for a month, quarter or year, as the operations
centre's API answers it (`GET /api/v1/ioc/index`). Legal source: Decision 766/QĐ-TTg
(23/6/2022); docs/ioc.md. A unit or period that cannot be read is a CommandError (exit 1).

`tinhso ioc rebuild [--from 2026-11-01]`: recount the rollups (ioc/rollups.py) from the
dossiers and field reports, all of them or the days from a date on.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import periods
from tinhso.ioc import queries, rollups


class Command(BaseCommand):
    help = "The operations centre: the Decision 766 index of a unit and period."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        index = sub.add_parser("index", help="the Decision 766 index of a unit and period")
        index.add_argument("--unit", required=True, help="province, agency or commune code")
        index.add_argument("--period", required=True, help="2026-11, 2026-Q4 or 2026")
        index.add_argument("--json", action="store_true", help="a JSON object, as the API")
        rebuild = sub.add_parser("rebuild", help="recount the rollups from the records")
        rebuild.add_argument("--from", dest="since", help="only the days from YYYY-MM-DD on")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "rebuild":
            self._rebuild(options.get("since"))
            return
        try:
            period = periods.parse(options["period"])
        except periods.PeriodError as exc:
            raise CommandError(exc.message) from exc
        try:
            unit = queries.resolve_unit(options["unit"])
        except queries.UnitNotFound as exc:
            raise CommandError(f"no province, agency or commune has the code {exc}") from exc
        report = queries.unit_index(unit, period).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{report['unit']['name']} ({report['unit']['code']}), {report['period']}: "
            f"{report['points']:g} / {report['scored_maximum']:g} điểm đã tính "
            f"(tối đa {report['maximum']})"
        )
        for group in report["groups"]:
            self.stdout.write(
                f"{group['key']} {group['name']}: {group['points']:g} / "
                f"{group['scored_maximum']:g} (tối đa {group['maximum']})"
            )
            for i in group["indicators"]:
                if not i["available"]:
                    self.stdout.write(f"  {i['code']}  không có dữ liệu: {i['reason']}")
                elif i["rate"] is None:
                    self.stdout.write(f"  {i['code']}  không có dữ liệu trong kỳ (0 / 0)")
                else:
                    counts = (
                        f"{i['numerator']}/{i['denominator']}"
                        if i["numerator"] is not None
                        else f"n={i['denominator']}"
                    )
                    earned = "—" if i["points"] is None else f"{i['points']:g}"
                    self.stdout.write(
                        f"  {i['code']}  {counts}  {i['rate']:g} {i['unit']}  "
                        f"{earned} / {i['maximum']:g}"
                    )

    def _rebuild(self, since: str | None) -> None:
        day = None
        if since:
            try:
                day = date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--from: not a date (YYYY-MM-DD): {since}") from exc
        dossiers = rollups.rebuild(day)
        reports = rollups.rebuild_reports()
        self.stdout.write(
            f"Đã tính lại số liệu tổng hợp: {dossiers} hồ sơ, {reports} phản ánh"
            + (f" (từ ngày {day.isoformat()})" if day else "")
        )
