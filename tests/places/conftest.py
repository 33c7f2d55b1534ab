"""Places are imported once for this package and removed after its last test (if this
fixture imported them).

Tests run in transactions that roll back, so the imported rows stay as imported; a test that
changes them changes them only inside its own transaction.
"""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditCheckpoint, AuditHead, AuditRecord
from tinhso.places.importer import import_places
from tinhso.places.models import Commune, LegacyProvince, Province


@pytest.fixture(scope="package")
def imported_places(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        result = import_places()
        if result.created:
            # The import's audit record would outlive every test's rollback: start tests,
            # here and in the packages after this one, from an empty chain.
            AuditRecord.objects.all().delete()
            AuditHead.objects.all().delete()
            AuditCheckpoint.objects.all().delete()
    yield
    if not result.created:
        return  # imported by someone else before this package: theirs to remove
    with django_db_blocker.unblock():
        LegacyProvince.objects.all().delete()
        Commune.objects.all().delete()
        Province.objects.all().delete()


@pytest.fixture
def places(imported_places, db):
    """The 34 provinces, 3,321 communes and 63 legacy provinces, in a rolled-back test."""


@pytest.fixture
def official(django_user_model):
    return django_user_model.objects.create(username="quantri", kind="official")


@pytest.fixture
def dak_lak(places):
    return Province.objects.get(code=66)
