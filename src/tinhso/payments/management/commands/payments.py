"""`tinhso payments list [--state STATE] [--json]`: the payment attempts, with the signed
gateway URL of each pending one; `tinhso payments reconcile [--date YYYY-MM-DD] [--file
settlement.csv]`: ask the gateways about attempts left pending (run it every 15 minutes or
so), and with a settlement file, list every difference between it and the ledger for the
finance officer (docs/payments.md, "Reconciliation"); `tinhso payments indicators --period
2026-11 [--agency CODE] [--json]`: Decision 766 indicators 3.5 and 3.6 for each agency and
the province, or for one agency (docs/payments.md, "Indicators")."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tinhso.core import context, periods
from tinhso.payments import actions, queries
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Attempt
from tinhso.places.models import Agency


class Command(BaseCommand):
    help = "Online payments: list attempts; reconcile pending attempts and a settlement file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser("list", help="the payment attempts, newest first")
        listing.add_argument("--state", choices=Attempt.State.values, help="only this state")
        listing.add_argument("--json", action="store_true", help="a JSON array")
        reconcile = sub.add_parser(
            "reconcile",
            help="ask the gateways about pending attempts; compare a settlement file",
        )
        reconcile.add_argument("--date", help="the settlement day, YYYY-MM-DD (default: yesterday)")
        reconcile.add_argument("--file", help="the gateway's settlement file (CSV)")
        reconcile.add_argument("--json", action="store_true", help="the differences as JSON")
        measure = sub.add_parser(
            "indicators",
            help="Decision 766 indicators 3.5 and 3.6 (online payment) in a period",
        )
        measure.add_argument("--period", required=True, help="2026-11, 2026-Q4 or 2026")
        measure.add_argument("--agency", help="one agency's code (default: every agency)")
        measure.add_argument("--json", action="store_true", help="a JSON object")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        with context.acting_as(None, channel="command"):
            if subcommand == "list":
                self._list(options.get("state"), bool(options.get("json")))
            elif subcommand == "indicators":
                self._indicators(options["period"], options.get("agency"), bool(options["json"]))
            else:
                self._reconcile(options.get("date"), options.get("file"), bool(options["json"]))

    def _list(self, state: str | None, as_json: bool) -> None:
        rows = [actions.attempt_row(attempt) for attempt in actions.attempts_listing(state)]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['created_at']}  {row['state']:<9}  {row['amount']:>12}  "
                f"{row['txn_ref']}  {row['dossier_code']}"
            )

    def _reconcile(self, day_text: str | None, file: str | None, as_json: bool) -> None:
        if day_text and not file:
            raise CommandError("--date is the day of a settlement file: give --file too")
        try:
            day = date.fromisoformat(day_text) if day_text else None
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {day_text!r}") from exc
        report = actions.reconcile_pending()
        refunds = actions.reconcile_refunds()
        if not as_json:
            self.stdout.write(
                f"pending attempts asked: {report.asked}, settled: {report.applied}, "
                f"expired: {report.expired}, gateway unavailable: {report.unavailable}, "
                f"failed: {report.failed}"
            )
            self.stdout.write(
                f"refunds sent and not settled asked: {refunds.asked}, refunded: "
                f"{refunds.refunded}, rejected: {refunds.rejected}, unchanged: "
                f"{refunds.unchanged}, gateway unavailable: {refunds.unavailable}, more than "
                f"one open: {refunds.ambiguous}"
            )
        if not file:
            if as_json:
                asked = {"pending": report.results, "refunds": refunds.results}
                self.stdout.write(json.dumps(asked, indent=2))
            return
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        day = day or timezone.localdate() - timedelta(days=1)
        try:
            differences = actions.reconcile_settlement(day, text)
        except PaymentError as exc:
            raise CommandError(exc.message) from exc
        if as_json:
            payload: dict[str, Any] = {
                "pending": report.results,
                "refunds": refunds.results,
                "date": day.isoformat(),
                "differences": [d.as_dict() for d in differences],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"settlement {day.isoformat()}: {len(differences)} difference(s)")
        for d in differences:
            self.stdout.write(
                f"  {d.kind:<20} {d.txn_ref:<20} ledger={d.ledger_amount} file={d.file_amount} "
                f"{d.ledger_state} {d.note}".rstrip()
            )

    def _indicators(self, period_text: str, agency_code: str | None, as_json: bool) -> None:
        try:
            period = periods.parse(period_text)
        except periods.PeriodError as exc:
            raise CommandError(exc.message) from exc
        agency = None
        if agency_code is not None:
            agency = Agency.objects.filter(code=agency_code.strip()).first()
            if agency is None:
                raise CommandError(f"Không tìm thấy cơ quan, đơn vị có mã {agency_code!r}.")
        report = queries.payment_indicators(period, agency=agency)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"period {period}: 3.5 procedures integrated, 3.6 dossiers paid online")
        rows = report.agencies if agency is not None else [report.total, *report.agencies]
        for row in rows:
            cells = []
            for value in (row.procedures, row.dossiers):
                rate = "no data" if value.rate is None else f"{value.rate}%"
                cells.append(f"{value.numerator:>6}/{value.denominator:<6} {rate:>8}")
            self.stdout.write(f"{row.code or 'province':<20} {cells[0]}   {cells[1]}  {row.name}")
