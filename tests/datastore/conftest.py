"""Data store fixtures: the dossier fixtures (a province, agencies, citizens), a document kind,
officials of two agencies."""

from __future__ import annotations

import pytest

from tests.dossiers.backoffice import official
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
from tests.dossiers.support import pdf_bytes
from tinhso.datastore import actions
from tinhso.datastore.models import DocumentKind, StoredDocument
from tinhso.people.models import Role


@pytest.fixture
def cccd(db) -> DocumentKind:
    return DocumentKind.objects.get(code="CCCD")


@pytest.fixture
def upload(citizen, cccd):  # noqa: F811
    def make(user=None, **fields) -> StoredDocument:
        defaults = {
            "kind": cccd,
            "file_name": "cccd.pdf",
            "content": pdf_bytes("CCCD"),
            "number": "066090001234",
            "issuer_name": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        }
        return actions.upload(user=user or citizen, **{**defaults, **fields})

    return make


@pytest.fixture
def justice_official(agencies):  # noqa: F811
    return official("chuyenvien.tp", "Lê Văn Tư", (Role.SPECIALIST, agencies["STP"]))


@pytest.fixture
def committee_official(agencies):  # noqa: F811
    return official("chuyenvien.ub", "Phạm Thị Hoa", (Role.SPECIALIST, agencies["UBND"]))
