"""The national portal's test world: the dossier fixtures, and a portal peer in its own
process with its own store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.dossiers.conftest import (  # noqa: F401 (fixtures)
    agencies,
    citizen,
    fast_password_hashing,
    make_citizen,
    media_in_tmp,
    office,
    province,
    version,
)
from tests.payments.peer_process import peer
from tinhso.dvcqg.client import PortalClient, forget_sessions

USERNAME = "tinh66"
PASSWORD = "mat-khau-thu"  # the peer's test account
UNIT = "000.00.00.H66"
KNOWN = "2.000488,1.001234"
HERE = Path(__file__).resolve().parent


@dataclass
class Portal:
    url: str

    def store(self) -> dict[str, Any]:
        return requests.get(self.url + "/_store", timeout=5).json()

    def mode(self, mode: str) -> None:
        requests.post(self.url + "/_mode", json={"mode": mode}, timeout=5).raise_for_status()

    def expire_sessions(self) -> None:
        requests.post(self.url + "/_expire", json={}, timeout=5).raise_for_status()

    def services(self) -> list[tuple[str, str]]:
        return [(c["service"], c["isUpdating"]) for c in self.store()["calls"] if "service" in c]

    def client(self, **overrides: Any) -> PortalClient:
        values: dict[str, Any] = {
            "base_url": self.url,
            "username": USERNAME,
            "password": PASSWORD,
            "unit_code": UNIT,
            **overrides,
        }
        return PortalClient(**values)


@pytest.fixture
def portal(tmp_path) -> Iterator[Portal]:
    store = tmp_path / "portal-store.json"
    forget_sessions()
    with peer(str(HERE / "portal_peer.py"), USERNAME, PASSWORD, UNIT, KNOWN, str(store)) as url:
        yield Portal(url)
    forget_sessions()
    json.loads(store.read_text(encoding="utf-8"))  # the store stayed readable to the end


@pytest.fixture
def synced(settings, portal) -> Portal:
    """Sync on, to the peer."""
    settings.DVCQG_URL = portal.url
    settings.DVCQG_USERNAME = USERNAME
    settings.DVCQG_PASSWORD = PASSWORD
    settings.DVCQG_UNIT_CODE = UNIT
    return portal
