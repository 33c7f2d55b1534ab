"""`tinhso clients issue-key|revoke|list`: client applications of other channels.

`tinhso clients issue-key "Cổng DVC quốc gia" --scope dossiers.submit` prints the key once
(stored hashed: it cannot be shown again; revoke and issue a new one if it is lost).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import context
from tinhso.people import clients
from tinhso.people.actions import PeopleError
from tinhso.people.models import ApiClient, ApiScope


class Command(BaseCommand):
    help = "Quản lý ứng dụng kết nối (khóa API): issue-key, revoke, list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        issue = sub.add_parser("issue-key", help="cấp khóa cho một ứng dụng mới (in khóa một lần)")
        issue.add_argument("name", help="tên ứng dụng, duy nhất")
        issue.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=ApiScope.values,
            help="phạm vi được phép (lặp lại để cấp nhiều phạm vi)",
        )
        issue.add_argument("--per-minute", type=int, default=60, help="giới hạn yêu cầu/phút")
        revoke = sub.add_parser("revoke", help="thu hồi khóa của một ứng dụng")
        revoke.add_argument("name")
        sub.add_parser("list", help="liệt kê các ứng dụng")

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        with context.acting_as(None, channel="command"):
            if what == "issue-key":
                try:
                    client, key = clients.issue(
                        options["name"],
                        scopes=options["scope"],
                        requests_per_minute=options["per_minute"],
                        actor=None,
                    )
                except PeopleError as exc:
                    raise CommandError(" ".join(exc.messages)) from None
                self.stderr.write(
                    f"Đã cấp khóa cho “{client.name}” ({', '.join(client.scopes)}); "
                    "khóa chỉ hiện một lần này:"
                )
                self.stdout.write(key)
            elif what == "revoke":
                found = ApiClient.objects.filter(name=options["name"]).first()
                if found is None:
                    raise CommandError(f"Không có ứng dụng tên “{options['name']}”.")
                was_active = found.is_active
                clients.revoke(found, actor=None)
                self.stdout.write(
                    f"Đã thu hồi khóa của “{found.name}”."
                    if was_active
                    else f"Khóa của “{found.name}” đã bị thu hồi từ trước."
                )
            else:
                for client in ApiClient.objects.order_by("name"):
                    state = (
                        "hoạt động" if client.is_active else f"thu hồi {client.revoked_at:%Y-%m-%d}"
                    )
                    self.stdout.write(
                        f"{client.name}\t{client.key_prefix}…\t{','.join(client.scopes)}\t"
                        f"{client.requests_per_minute}/phút\t{state}"
                    )
