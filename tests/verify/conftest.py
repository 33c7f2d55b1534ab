"""Electronic result fixtures: the dossier office (tests/dossiers), a TEST CA the instance
trusts, and the seal of the deciding agency (Sở Tư pháp) issued by it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.dossiers import support
from tests.dossiers.conftest import (  # noqa: F401  (fixtures)
    agencies,
    citizen,
    fast_password_hashing,
    make_citizen,
    media_in_tmp,
    office,
    other_citizen,
    province,
    version,
)
from tinhso.documents import actions as documents
from tinhso.documents import pki, stamps
from tinhso.documents.models import TrustedRoot
from tinhso.dossiers import actions as dossier_actions


@pytest.fixture(scope="session")
def test_ca() -> pki.KeyPair:
    return pki.make_test_ca("tinhso TEST CA (xac thuc)")


@pytest.fixture
def seal(agencies, test_ca):  # noqa: F811
    """Sở Tư pháp's agency certificate (embedded keystore) and the TEST CA as trusted root."""
    TrustedRoot.objects.create(
        name="TEST CA", certificate_pem=test_ca.certificate_pem, is_test=True
    )
    justice = agencies["STP"]
    return documents.add_certificate(
        pki.issue(test_ca, justice.name, justice.name),
        owner_agency=justice,
        chain=(test_ca.certificate,),
        is_test=True,
        stamp_image=stamps.seal("STP"),
    )


@dataclass
class Issued:
    dossier: Any
    result: Any
    original: bytes  # what the clerk attached, before the seal


@pytest.fixture
def approved(office):  # noqa: F811
    """A dossier of Sở Tư pháp approved by its leader, waiting for its result."""
    dossier = office.received()
    dossier_actions.assign(dossier, officer=office.truongphong, to=office.chuyenvien)
    dossier_actions.forward(dossier, officer=office.chuyenvien)
    dossier_actions.approve(dossier, officer=office.lanhdao)
    return dossier


@pytest.fixture
def issued(office, approved, seal) -> Issued:  # noqa: F811
    original = support.pdf_bytes("Phieu ly lich tu phap so 12/2026")
    result = dossier_actions.attach_result(
        approved, "Phiếu lý lịch tư pháp số 12", original, officer=office.vanthu
    )
    return Issued(approved, result, original)
