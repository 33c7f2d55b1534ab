"""Remove drafts nobody touched for N days (default 30), with their uploaded files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tinhso.core.context import acting_as
from tinhso.dossiers import actions


class Command(BaseCommand):
    help = "Xóa các bản nháp hồ sơ bị bỏ dở quá số ngày cho trước (mặc định 30)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(None, channel="command"):
            count = actions.discard_abandoned_drafts(
                timezone.now() - timedelta(days=options["days"])
            )
        self.stdout.write(f"Đã xóa {count} bản nháp.")
