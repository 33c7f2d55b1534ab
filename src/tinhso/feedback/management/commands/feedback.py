"""`tinhso feedback escalate`: move overdue field reports to the supervising agency (run it
every few minutes from cron or the scheduler); `tinhso feedback demo`: the demo data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tinhso.core import context
from tinhso.feedback import actions, demo


class Command(BaseCommand):
    help = "Field reports: escalate overdue reports; load the demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("escalate", help="escalate the open reports past their deadline")
        sub.add_parser("demo", help="load the demo categories, routing and reports (idempotent)")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        with context.acting_as(None, channel="command"):
            if subcommand == "escalate":
                moved = actions.escalate_overdue()
                self.stdout.write(f"escalated {len(moved)} report(s)")
            else:
                demo.load_demo()
                self.stdout.write("feedback demo data ready")
