"""`tinhso doctor`: what this server has and what it enables, in one screen.

Each optional tool (`core/tools.py`) found or missing and the feature it enables, the fonts
the seals and stamps are drawn with (`core/fonts.py`), the PKCS#11 module, the database and
the broker. It only reports: it always exits 0, so it can be run on a half-set-up machine.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from tinhso.core import fonts, tools


class Command(BaseCommand):
    help = (
        "Print each optional tool (found or missing) and what it enables, fonts, database, broker."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.line("Công cụ tuỳ chọn (optional tools):")
        for tool in tools.TOOLS.values():
            found = tools.find(tool.name)
            if found:
                self.line(f"  found    {tool.name:<9} {found}", ok=True)
            else:
                hint = f"apt-get install {tool.package}"
                if tool.setting:
                    hint += f" hoặc đặt TINHSO_{tool.setting}"
                self.line(f"  missing  {tool.name:<9} ({hint})", ok=False)
            self.line(f"           {tool.label}: {tool.enables}")

        self.line("Phông chữ tiếng Việt (fonts, fontconfig :lang=vi):")
        for label, families, bold in (
            ("sans", fonts.SANS, False),
            ("sans bold", fonts.SANS, True),
            ("serif", fonts.SERIF, False),
            ("serif bold", fonts.SERIF, True),
        ):
            try:
                self.line(f"  found    {label:<10} {fonts.font_file(families, bold=bold)}", ok=True)
            except fonts.FontMissing as exc:
                self.line(f"  missing  {label:<10} {exc}", ok=False)

        module = settings.DOCUMENTS_PKCS11_MODULE
        self.line("Ký số bằng USB token/HSM (PKCS#11):")
        if not module:
            self.line("  not set  TINHSO_DOCUMENTS_PKCS11_MODULE: chưa cấu hình ký bằng token")
        elif os.path.isfile(module):
            self.line(f"  found    {module}", ok=True)
        else:
            self.line(f"  missing  {module} (TINHSO_DOCUMENTS_PKCS11_MODULE)", ok=False)

        self.line("Cơ sở dữ liệu (database):")
        try:
            connection.ensure_connection()
            self.line(f"  ok       {connection.vendor} {connection.settings_dict['NAME']}", ok=True)
        except Exception as exc:
            self.line(f"  error    {connection.vendor}: {exc}", ok=False)

        self.line("Hàng đợi (broker):")
        if not settings.BROKER_URL:
            self.line("  embedded tinhso worker đọc bảng outbox; không cần broker", ok=True)
        else:
            self.line(f"  {self.broker(settings.BROKER_URL)}")

    def broker(self, url: str) -> str:
        from kombu import Connection

        safe = url.split("@")[-1]
        try:
            with Connection(url, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:
            return self.style.ERROR(f"error    {safe}: {exc}")
        return self.style.SUCCESS(f"ok       {safe}")

    def line(self, text: str, *, ok: bool | None = None) -> None:
        if ok is True:
            text = self.style.SUCCESS(text)
        elif ok is False:
            text = self.style.WARNING(text)
        self.stdout.write(text)
