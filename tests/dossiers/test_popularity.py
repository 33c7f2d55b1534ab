"""Popularity from real demand: the periodic job counts dossiers per procedure in a window."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tinhso.catalogue.models import Procedure
from tinhso.catalogue.queries import popular_procedures
from tinhso.core.models import AuditRecord
from tinhso.core.periodic import JOBS
from tinhso.dossiers import actions, jobs
from tinhso.dossiers.models import Dossier

from .conftest import make_version
from .test_views import submitted


def test_the_job_reorders_the_popular_procedures_by_dossiers_in_the_window(
    version, agencies, citizen, settings
):
    other = make_version(agencies["STP"], code="1.001193", name="Đăng ký khai sinh")
    Procedure.objects.filter(pk=version.procedure_id).update(popularity=50)
    Procedure.objects.filter(pk=other.procedure_id).update(popularity=10)
    assert [p.code for p in popular_procedures()] == ["2.000488", "1.001193"]

    # Nothing submitted yet: the seeded figures stay.
    assert jobs.refresh_popularity() is None
    assert Procedure.objects.get(pk=version.procedure_id).popularity == 50

    for _ in range(3):
        submitted(other, citizen)
    recent = submitted(version, citizen)
    old = [submitted(version, citizen) for _ in range(4)]
    Dossier.objects.filter(pk__in=[d.pk for d in old]).update(
        submitted_at=timezone.now() - timedelta(days=400)
    )
    actions.start_draft(version, user=citizen)  # a draft is no demand yet
    assert recent.version.procedure_id == version.procedure_id

    assert jobs.refresh_popularity() == 2
    assert [p.code for p in popular_procedures()] == ["1.001193", "2.000488"]
    assert Procedure.objects.get(pk=other.procedure_id).popularity == 3
    assert Procedure.objects.get(pk=version.procedure_id).popularity == 1
    record = AuditRecord.objects.get(action="catalogue.popularity_set")
    assert record.changes == {"1.001193": [10, 3], "2.000488": [50, 1]}

    # A wider window (TINHSO_DOSSIER_POPULARITY_DAYS) counts the old ones again.
    settings.DOSSIER_POPULARITY_DAYS = 500
    assert jobs.refresh_popularity() == 1
    assert [p.code for p in popular_procedures()] == ["2.000488", "1.001193"]
    assert Procedure.objects.get(pk=version.procedure_id).popularity == 5
    # Run again with nothing new: nothing written, no audit record.
    count = AuditRecord.objects.count()
    assert jobs.refresh_popularity() == 0
    assert AuditRecord.objects.count() == count


def test_the_job_is_registered_to_run_hourly():
    job = JOBS["dossiers.refresh_popularity"]
    assert job.every_seconds == 3600 and job.run is jobs.refresh_popularity_job
