"""`tinhso ioc index --unit CODE --period 2026-11 [--json]`: the Decision 766 index of a
province (GSO code), agency or commune for a month, quarter or year, as the operations
centre's API answers it (`GET /api/v1/ioc/index`). Legal source: Decision 766/QĐ-TTg
(23/6/2022); docs/ioc.md. A unit or period that cannot be read is a CommandError (exit 1).

`tinhso ioc rebuild [--from 2026-11-01]`: recount the rollups (ioc/rollups.py) from the
dossiers and field reports, all of them or the days from a date on.

`tinhso ioc report --period 2026-11|2026-Q4 [--unit CODE] [--format xlsx|pdf] [--output FILE]
[--notify]`: make the periodic report (ioc/reports.py) of one unit, or of the province(s)
and every agency as the schedule does, store it in the archive, and write one file out.
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
        report = sub.add_parser("report", help="make and archive the periodic report")
        report.add_argument("--period", required=True, help="2026-11 or 2026-Q4")
        report.add_argument("--unit", help="province, agency or commune code (default: all)")
        report.add_argument("--format", choices=("xlsx", "pdf"), help="also write this file")
        report.add_argument("--output", help="where to write it (default: its own name here)")
        report.add_argument("--notify", action="store_true", help="tell the unit's leaders")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "rebuild":
            self._rebuild(options.get("since"))
            return
        if subcommand == "report":
            self._report(options)
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

    def _report(self, options: dict[str, Any]) -> None:
        from pathlib import Path

        from tinhso.core.context import acting_as
        from tinhso.core.errors import DomainError
        from tinhso.ioc import reports
        from tinhso.ioc.models import PeriodicReport

        try:
            period = periods.parse(options["period"])
        except periods.PeriodError as exc:
            raise CommandError(exc.message) from exc
        if options["unit"]:
            try:
                units = [queries.resolve_unit(options["unit"])]
            except queries.UnitNotFound as exc:
                raise CommandError(f"no province, agency or commune has the code {exc}") from exc
        else:
            units = reports.scheduled_units()
        if options["format"] and len(units) != 1:
            raise CommandError("--format writes one report's file: give --unit")
        for unit in units:
            try:
                with acting_as(None, channel="command"):
                    made = reports.generate(
                        unit,
                        period,
                        trigger=PeriodicReport.Trigger.COMMAND,
                        notify_leaders=options["notify"],
                    )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                f"Đã lập báo cáo {made.unit_name} ({made.unit_code}) kỳ {made.period}: "
                f"số {made.pk}, PDF sha256 {made.pdf_sha256}, XLSX sha256 {made.xlsx_sha256}"
                + (" (tạm tính, kỳ chưa kết thúc)" if made.provisional else "")
            )
            kind = options["format"]
            if kind:
                target = Path(
                    options["output"] or reports.file_name(made.unit_code, made.period, kind)
                )
                target.write_bytes(reports.read_file(made, kind))
                self.stdout.write(f"Đã ghi {target}")
