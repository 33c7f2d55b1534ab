"""`tinhso demo_totp <username>`: the current 6-digit code of a demo official.

Only for the demo accounts, whose TOTP secrets are public (tinhso.people.demo), and never in
production mode.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.people.demo import DEMO_OFFICIALS, secret_hex


class Command(BaseCommand):
    help = "In mã xác thực (TOTP) hiện tại của một tài khoản cán bộ demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="tên đăng nhập demo, ví dụ tiepnhan")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if settings.MODE == "production":
            raise CommandError(
                "demo_totp is for demo installations only: refused with TINHSO_MODE=production"
            )
        if username not in DEMO_OFFICIALS:
            known = ", ".join(sorted(DEMO_OFFICIALS))
            raise CommandError(f"{username} is not a demo official (demo officials: {known})")
        key = secret_hex(DEMO_OFFICIALS[username][0])
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None or device.key != key:
            raise CommandError(
                f"{username} has no device with the demo secret: run `tinhso demo load` first"
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
