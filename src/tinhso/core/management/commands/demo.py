"""`tinhso demo load`: the demo data of the embedded default (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context


class Command(BaseCommand):
    help = "Load the demo data: places, agencies of the province, demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("load", help="create what is missing; safe to run again")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo data is for the embedded default, not production")
        from tinhso.catalogue import demo as catalogue_demo
        from tinhso.documents import demo as documents_demo
        from tinhso.dossiers import demo as dossiers_demo
        from tinhso.feedback import demo as feedback_demo
        from tinhso.people import demo as people_demo
        from tinhso.places import demo as places_demo

        with context.acting_as(None, channel="command"):
            places_demo.load_demo()
            accounts = people_demo.load_demo()
            catalogue_demo.load_demo()
            dossiers_demo.load_demo()
            documents_demo.load_demo()
            feedback_demo.load_demo()
        self.stdout.write("demo data ready; demo accounts (password, then TOTP secret):")
        for a in accounts:
            secret = a.totp_secret or "no second factor"
            who = ", ".join(part for part in (a.role, a.agency) if part)
            self.stdout.write(f"  {a.sign_in_with:16} {a.password}  {who}  {secret}")
