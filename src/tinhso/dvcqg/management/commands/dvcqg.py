"""`tinhso dvcqg status [--json]`: whether sync with the national public-service portal is on,
how many dossiers the portal holds in their newest state, which it does not, and the sync
messages waiting or parked; `tinhso dvcqg resend CODE`: send a dossier again
(docs/dvcqg.md)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context
from tinhso.dvcqg import actions, queries


class Command(BaseCommand):
    help = "Đồng bộ với Cổng Dịch vụ công quốc gia: tình trạng; gửi lại một hồ sơ."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        status = sub.add_parser("status", help="tình trạng đồng bộ")
        status.add_argument("--json", action="store_true", help="a JSON object")
        resend = sub.add_parser("resend", help="gửi lại một hồ sơ")
        resend.add_argument("code", help="mã hồ sơ")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        with context.acting_as(None, channel="command"):
            if subcommand == "status":
                self._status(bool(options.get("json")))
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
