"""`tinhso dvcqg status [--json]`: whether sync with the national public-service portal is on,
how many dossiers the portal holds in their newest state, which it does not, and the sync
messages waiting or parked; `tinhso dvcqg resend CODE`: send a dossier again;
`tinhso dvcqg reconcile --date YYYY-MM-DD [--sample N] [--json]`: ask the portal about that
day's dossiers, re-send what differs, and count per agency; `tinhso dvcqg catalogue
[--source URL|PATH] [--json]`: list what changed in the national procedure database for an
administrator to publish (docs/dvcqg.md)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context
from tinhso.dvcqg import actions, catalogue_sync, queries, reconcile


class Command(BaseCommand):
    help = "Đồng bộ với Cổng Dịch vụ công quốc gia: tình trạng; gửi lại một hồ sơ."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        status = sub.add_parser("status", help="tình trạng đồng bộ")
        status.add_argument("--json", action="store_true", help="a JSON object")
        resend = sub.add_parser("resend", help="gửi lại một hồ sơ")
        resend.add_argument("code", help="mã hồ sơ")
        check = sub.add_parser("reconcile", help="đối soát hồ sơ thay đổi trong một ngày")
        check.add_argument("--date", required=True, help="YYYY-MM-DD (giờ Việt Nam)")
        check.add_argument("--sample", type=int, default=reconcile.SAMPLE)
        check.add_argument("--json", action="store_true", help="a JSON object")
        catalogue = sub.add_parser("catalogue", help="so danh mục thủ tục với CSDL quốc gia")
        catalogue.add_argument("--source", default="", help="địa chỉ hoặc tệp (mặc định: cấu hình)")
        catalogue.add_argument("--json", action="store_true", help="a JSON object")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        with context.acting_as(None, channel="command"):
            if subcommand == "status":
                self._status(bool(options.get("json")))
            elif subcommand == "catalogue":
                self._catalogue(options["source"], bool(options.get("json")))
            elif subcommand == "reconcile":
                self._reconcile(options["date"], options["sample"], bool(options.get("json")))
            else:
                self._resend(options["code"])

    def _status(self, as_json: bool) -> None:
        overview = {"enabled": bool(settings.DVCQG_URL), **queries.sync_overview()}
        if as_json:
            self.stdout.write(json.dumps(overview, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            "Đồng bộ: "
            + (
                f"bật ({settings.DVCQG_URL})"
                if overview["enabled"]
                else "tắt (TINHSO_DVCQG_URL trống)"
            )
        )
        self.stdout.write(
            f"Hồ sơ: {overview['dossiers']}, đã đồng bộ bản mới nhất: {overview['up_to_date']}, "
            f"chưa: {len(overview['behind'])}"
        )
        self.stdout.write(
            f"Tin chờ gửi: {overview['pending']}, tin bị dừng: {len(overview['parked'])}"
        )
        for code in overview["behind"]:
            self.stdout.write(f"  chưa đồng bộ: {code}")
        for item in overview["parked"]:
            self.stdout.write(f"  dừng (hồ sơ #{item['dossier']}): {item['error']}")

    def _resend(self, code: str) -> None:
        try:
            message = actions.resend(code, actor=None)
        except actions.ResendRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Đã đưa hồ sơ {code} vào hàng đợi gửi lại (tin #{message.pk}).")

    def _reconcile(self, day_text: str, sample: int, as_json: bool) -> None:
        try:
            day = date.fromisoformat(day_text)
        except ValueError as exc:
            raise CommandError(f"Ngày không hợp lệ: {day_text} (cần YYYY-MM-DD).") from exc
        if not settings.DVCQG_URL:
            raise CommandError("Chưa bật đồng bộ: TINHSO_DVCQG_URL chưa được cấu hình.")
        report = reconcile.run(day, sample=max(sample, 0))
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Đối soát ngày {report.day}: hỏi Cổng {report.checked} hồ sơ, "
            f"gửi lại {len(report.resent)}, không hỏi được {report.unreachable}"
        )
        self.stdout.write(f"{'Cơ quan':<20} {'đã khớp':>8} {'chờ gửi':>8} {'dừng':>6} {'lệch':>6}")
        for row in report.agencies:
            self.stdout.write(
                f"{row.agency:<20} {row.synced:>8} {row.pending:>8} {row.parked:>6} "
                f"{row.mismatched:>6}  {row.name}"
            )
        for code in report.resent:
            self.stdout.write(f"  gửi lại: {code}")

    def _catalogue(self, source: str, as_json: bool) -> None:
        try:
            report = catalogue_sync.run(source or None)
        except catalogue_sync.SourceError as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Danh mục từ {report.source}: {len(report.new)} mới, {len(report.changed)} thay "
            f"đổi, {len(report.withdrawn)} bãi bỏ, {report.unchanged} không đổi, "
            f"{len(report.failed)} lỗi; {report.waiting} thay đổi chờ quản trị công bố."
        )
        for label, codes in (
            ("mới", report.new),
            ("thay đổi", report.changed),
            ("bãi bỏ", report.withdrawn),
        ):
            for code in codes:
                self.stdout.write(f"  {label}: {code}")
        for code, reason in report.failed:
            self.stdout.write(f"  lỗi: {code}: {reason}")
