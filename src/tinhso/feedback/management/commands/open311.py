"""`tinhso open311 issue-key <client name>`: a new Open311 client and its key (printed once);
`revoke-key <client name>`, `list-keys`.

The clients are tinhso.people.clients applications with the scope `open311.post` (the same
registry as `tinhso clients`); this command keeps its names and output for the operators
who already use it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context
from tinhso.people import clients
from tinhso.people.actions import PeopleError
from tinhso.people.models import ApiClient, ApiScope


class Command(BaseCommand):
    help = "Open311 client applications: issue, revoke and list api_keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        issue = sub.add_parser("issue-key", help="create a client and print its new key")
        issue.add_argument("name", help="the client application's name")
        issue.add_argument("--per-minute", type=int, default=60, help="rate limit (POSTs/minute)")
        revoke = sub.add_parser("revoke-key", help="revoke a client's key")
        revoke.add_argument("name")
        sub.add_parser("list-keys", help="list Open311 clients, key prefixes and state")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        with context.acting_as(None, channel="command"):
            if subcommand == "issue-key":
                try:
                    _, key = clients.issue(
                        options["name"],
                        scopes=[ApiScope.OPEN311_POST],
                        actor=None,
                        requests_per_minute=options["per_minute"],
                    )
                except PeopleError as exc:
                    raise CommandError(" ".join(exc.messages)) from None
                self.stdout.write(key)
            elif subcommand == "revoke-key":
                client = ApiClient.objects.filter(name=options["name"]).first()
                if client is None or ApiScope.OPEN311_POST not in (client.scopes or []):
                    raise CommandError(f"không có ứng dụng {options['name']!r}")
                clients.revoke(client, actor=None)
                self.stdout.write(f"revoked {client.name}")
            else:
                for c in ApiClient.objects.order_by("name"):
                    if ApiScope.OPEN311_POST not in (c.scopes or []):
                        continue
                    state = "active" if c.is_active else f"revoked {c.revoked_at:%Y-%m-%d}"
                    self.stdout.write(
                        f"{c.key_prefix}…  {c.requests_per_minute}/min  {state}  {c.name}"
                    )
