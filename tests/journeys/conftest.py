"""Fixtures of the journey tests: one served platform for the run, a journey per width.

See `harness.py` for what a journey checks at every step.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.browser import requires_browser

from .harness import Journey, Site, site_folder, start_site

WIDTHS = (360, 1280)


def pytest_configure(config: pytest.Config) -> None:
    # Playwright's assertions wait 5 s by default; CI runs two suites side by side.
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "journeys" in item.nodeid.split("::")[0]:
            item.add_marker(requires_browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    served = start_site(site_folder())
    yield served
    served.stop()


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def journey(request: pytest.FixtureRequest, site: Site, browser) -> Iterator[Journey]:
    name = request.node.originalname or request.node.name
    walk = Journey(
        site=site,
        browser=browser,
        width=request.param,
        name=f"{request.module.__name__.rsplit('.', 1)[-1]}.{name}",
        # digits only: hex letters typed into a page can spell a word of the English check
        # ("bad", "add") and fail a walk at random
        unique=f"{request.param}{secrets.randbelow(10**8):08d}",
    )
    walk.reset_screenshots()
    yield walk
    left = walk.close()
    assert not left, "after the last step:\n  " + "\n  ".join(left)
