"""Helpers for tests that start processes of their own."""

from __future__ import annotations

import os
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def database_url_for_subprocess() -> str:
    """The address of the database this test runs on, for processes the test starts."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    # Processes start from the machine's environment, not the test run's own settings (the
    # tests relax Django's async check for Playwright; a server process must not inherit it).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TINHSO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update({"DATABASE_URL": database_url_for_subprocess(), "PYTHONPATH": str(ROOT / "src")})
    env.update(extra)
    return env
