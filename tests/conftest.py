"""Shared fixtures. Each area keeps its own conftest.py beside its tests."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
# as if they came from async code. The tests' ORM use is synchronous, so allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
