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


def test_demo_makes_counter_digitisation_walkable(db, settings, tmp_path):
    """`make run`: the receiving officer has a certificate, and the demo citizen a counter
    dossier of paper scans not yet digitised, which the officer may digitise."""
    settings.MEDIA_ROOT = tmp_path / "media"
    from tinhso.documents.models import Certificate
    from tinhso.dossiers import demo as dossiers_demo
    from tinhso.dossiers.actions.digitisation import may_digitise
    from tinhso.dossiers.models import Dossier
    from tinhso.people.models import User

    dossiers_demo.load_demo()
    officer = User.objects.get(username="tiepnhan")
    assert Certificate.objects.filter(owner_user=officer, state="active").count() == 1
    [counter] = Dossier.objects.filter(
        owner__citizen__personal_id="066090001234", applicant_address=demo.DEMO_COUNTER_NOTE
    )
    assert counter.channel == "counter" and not counter.files.filter(digitised=True).exists()
    assert may_digitise(officer, counter)
    demo.load_store_demo()  # again: no second dossier, no second key
    assert Certificate.objects.filter(owner_user=officer, state="active").count() == 1
    assert Dossier.objects.filter(applicant_address=demo.DEMO_COUNTER_NOTE).count() == 1


def test_demo_citizen_keeps_an_organisations_store(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from tinhso.dossiers import demo as dossiers_demo
    from tinhso.people.models import Organisation

    dossiers_demo.load_demo()
    organisation = Organisation.objects.get(tax_code=demo.DEMO_ORGANISATION_TAX_CODE)
    assert list(organisation.members.values_list("citizen__personal_id", flat=True)) == [
        "066090001234"
    ]
    [doc] = StoredDocument.objects.filter(organisation=organisation)
    assert (doc.kind.code, doc.provenance) == ("GCN-DKDN", "uploaded")
    demo.load_store_demo()  # again: nothing added
    assert StoredDocument.objects.filter(organisation=organisation).count() == 1
    assert Organisation.objects.filter(tax_code=demo.DEMO_ORGANISATION_TAX_CODE).count() == 1
