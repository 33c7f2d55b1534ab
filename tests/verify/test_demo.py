"""The demo: the demo citizen's returned dossier holds an electronic result whose /xac-thuc/
code works, and it is in their data store as the signed file."""

from __future__ import annotations

import pytest

from tinhso.datastore.models import StoredDocument
from tinhso.dossiers import demo
from tinhso.dossiers.models import Dossier
from tinhso.verify import actions
from tinhso.verify.models import ElectronicResult


@pytest.mark.django_db
def test_the_demo_has_a_returned_electronic_result_with_a_working_code(settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    codes = demo.load_demo().codes
    returned = Dossier.objects.get(code=codes[2])
    assert returned.state == Dossier.State.RETURNED
    electronic = ElectronicResult.objects.get()
    assert electronic.result.dossier == returned
    assert electronic.issuer == returned.agency
    with electronic.result.file.open("rb") as f:
        assert actions.check_signature(f.read()).valid
    page = client.get(f"/xac-thuc/{electronic.code}")
    assert page.status_code == 200
    assert electronic.sha256 in page.content.decode()
    stored = StoredDocument.objects.get(source_result=electronic.result)
    assert (stored.provenance, stored.sha256) == ("dossier_result", electronic.sha256)
    demo.load_demo()  # again: nothing sealed twice
    assert ElectronicResult.objects.count() == 1
