"""The write path: the agency's seal is computed before the dossier's transaction opens and
the rows written in it (`attach_result`, `issue_result`); the page's signature check runs
outside any transaction too. Without the per-test transaction (`transaction=True`), so
`in_atomic_block` is the action's own."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.dossiers import support
from tinhso.documents import signing
from tinhso.dossiers import actions as dossier_actions
from tinhso.verify import actions, sealing
from tinhso.verify.models import ElectronicResult

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(monkeypatch):
    calls: list[str] = []
    real = sealing.seal_pdf

    def seal_pdf(*args, **kwargs):
        assert not connection.in_atomic_block, "sealing inside a transaction"
        calls.append("seal")
        return real(*args, **kwargs)

    monkeypatch.setattr(sealing, "seal_pdf", seal_pdf)
    return calls


def test_attach_result_seals_before_its_transaction(office, approved, seal, watched):
    result = dossier_actions.attach_result(
        approved, "Kết quả", support.pdf_bytes("kq"), officer=office.vanthu
    )
    assert watched == ["seal"]
    assert ElectronicResult.objects.get().result == result


def test_issue_result_seals_before_its_transaction(office, seal, watched):
    dossier = office.received()
    result = dossier_actions.issue_result(dossier, "Kết quả", support.pdf_bytes("kq"), officer=None)
    assert watched == ["seal"]
    assert ElectronicResult.objects.get().result == result


def test_the_seals_check_and_a_recheck_verify_outside_any_transaction(
    office, approved, seal, monkeypatch
):
    checks: list[str] = []
    real = signing.verify_pdf

    def verify_pdf(*args, **kwargs):
        assert not connection.in_atomic_block, "a signature verified inside a transaction"
        checks.append("verify")
        return real(*args, **kwargs)

    monkeypatch.setattr(signing, "verify_pdf", verify_pdf)
    dossier_actions.attach_result(
        approved, "Kết quả", support.pdf_bytes("kq"), officer=office.vanthu
    )
    assert checks == ["verify"]
    electronic = actions.recheck(ElectronicResult.objects.get())
    assert checks == ["verify", "verify"]
    assert electronic.signature_valid is True
