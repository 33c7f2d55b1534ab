"""`tinhso demo load` loads every app's demo through the discovered loaders (tinhso.core.demo),
prints the demo accounts, and changes nothing when run again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tinhso.catalogue.models import Procedure
from tinhso.core.models import AuditRecord
from tinhso.documents.models import Document
from tinhso.dossiers.models import Dossier
from tinhso.feedback.models import Report
from tinhso.people import demo as people_demo
from tinhso.people.models import User
from tinhso.places.models import Agency


def counts() -> dict[str, int]:
    """What each app's demo made: agencies, accounts, procedures, dossiers, documents, reports."""
    models = (Agency, User, Procedure, Dossier, Document, Report)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_demo_load_loads_every_app_and_again_changes_nothing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("demo", "load", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["demo data ready", "demo accounts (password, then TOTP secret):"]
    assert len(lines) == 2 + 1 + len(people_demo.DEMO_OFFICIALS)  # the citizen, the officials
    tiepnhan = next(line for line in lines if line.split()[0] == "tiepnhan")
    assert people_demo.DEMO_PASSWORD in tiepnhan
    assert people_demo.DEMO_OFFICIALS["tiepnhan"][0] in tiepnhan
    citizen = User.objects.get(phone=people_demo.CITIZEN_PHONE)
    assert f"{citizen.phone}" in lines[2] and lines[2].endswith("no second factor")
    loaded = counts()
    assert all(loaded.values()), loaded
    records = AuditRecord.objects.count()

    call_command("demo", "load", stdout=StringIO())

    assert counts() == loaded
    assert list(AuditRecord.objects.order_by("pk").values_list("action", flat=True)[records:]) == []


def test_demo_load_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="not production"):
        call_command("demo", "load", stdout=StringIO())
