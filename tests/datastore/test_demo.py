"""The demo citizen's store: three provenances, one of them an electronic result."""

from __future__ import annotations

from tinhso.datastore import demo
from tinhso.datastore.models import StoredDocument


def test_demo_citizen_has_documents_of_three_provenances(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from tinhso.dossiers import demo as dossiers_demo

    dossiers_demo.load_demo()  # calls demo.load_store_demo() at its end
    docs = StoredDocument.objects.filter(citizen__personal_id="066090001234")
    assert sorted(docs.values_list("provenance", flat=True)) == [
        "digitised",
        "dossier_result",
        "uploaded",
    ]
    result = docs.get(provenance="dossier_result")
    assert result.source_result is not None and result.source_dossier_code
    assert demo.load_store_demo() == 3  # again: nothing added
    assert docs.count() == 3
