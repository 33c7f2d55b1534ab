"""Shared fixtures. Each area keeps its own conftest.py beside its tests."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
# as if they came from async code. The tests' ORM use is synchronous, so allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_report_header(config):
    """Say up front which system tools are missing, so skipped tests are no surprise."""
    from tests.tools import PACKAGES, missing, under_ci

    absent = missing(*PACKAGES)
    if not absent:
        return "system tools: all present"
    consequence = "their tests FAIL (CI)" if under_ci() else "their tests skip"
    return f"system tools missing: {', '.join(absent)}; {consequence} (make test installs them)"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_calendar():
    # Each process keeps the working calendar for a minute (core/calendar.py); a test's
    # calendar changes are rolled back with its transaction, so no test may inherit them.
    from tinhso.core.calendar import forget_calendar

    forget_calendar()
    yield
    forget_calendar()


@pytest.fixture(autouse=True)
def _no_kept_search_answers():
    # The web process keeps catalogue search answers per generation (catalogue/answers.py);
    # a test's rolled-back transaction brings back the generation an earlier test's answers
    # were kept under, with another catalogue, in any folder that searches through the API.
    from tinhso.catalogue import answers

    answers.searches.clear()
    yield
    answers.searches.clear()


@pytest.fixture(autouse=True)
def _audit_anchor_in_tmp(settings, tmp_path):
    # Sealing appends checkpoints to a file outside the database; a test's checkpoints in the
    # shared var/audit would be read by every later test's `audit verify` (and the two CI
    # suites run in one checkout), so each test anchors in a folder of its own.
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "audit-anchor")


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Playwright, for page and accessibility tests (use
    with `tests.browser.requires_browser` and a transactional database)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
    # ORM calls made while Playwright's loop ran opened connections in this thread: close
    # them, or PostgreSQL refuses to drop the test database at the end of the run.
    connections.close_all()


@pytest.fixture
def migrator():
    """Move the test database to chosen migrations (returns the historical apps there), and
    back to the latest of every app afterwards: a test left half-migrated breaks every test
    after it that touches a newer column. Use with a transactional database."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
