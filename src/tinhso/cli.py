"""The `tinhso` console script: Django's manage.py, with start-up errors as one clear line."""

from __future__ import annotations

import os
import sys

# Commands that cannot do anything useful without the database: check it before they start,
# so an unreachable server is one line, not a traceback from deep inside a request.
NEEDS_DATABASE = {
    "run",
    "worker",
    "migrate",
    "demo",
    "demo_totp",
    "audit",
    "places",
    "createsuperuser",
    "clients",
    "payments",
    "datastore",
    "dvcqg",
    "ioc",
}


def _fail(message: str) -> None:
    sys.stderr.write(f"tinhso: {message}\n")
    raise SystemExit(2)


def _check_database() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _fail(
            f"cannot reach the database ({first}): set DATABASE_URL to a reachable server, "
            "or unset it for the embedded SQLite database"
        )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        # Commands are spelt with hyphens on the command line (`tinhso demo-totp`), as
        # Django's module names cannot be.
        argv[1] = argv[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    from tinhso.conf import ConfigurationError

    try:
        import django

        django.setup()
    except ConfigurationError as exc:
        _fail(str(exc))
    if len(argv) > 1 and argv[1] in NEEDS_DATABASE:
        _check_database()
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
