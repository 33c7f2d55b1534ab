"""The bulk rebuild (`ioc/rollups_rebuild.py`): a fixed number of queries per chunk of
dossiers, none per dossier, and the same counters as the live handler and a recount."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.ioc.test_rollups import check_presummed, random_mix
from tinhso.ioc import rollups, rollups_rebuild
from tinhso.ioc.models import DossierDay, DossierFact

PER_CHUNK = 7  # dossiers, supplements, results, ratings, files, payments, sync states


def _rebuild_queries(chunk: int, since=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        rollups.rebuild(since, chunk=chunk)
    return len(queries)


def test_a_rebuild_makes_a_fixed_number_of_queries_per_chunk_not_per_dossier(office):
    random_mix(office, 160, seed=9)
    live = rollups.stored()
    n = DossierFact.objects.count()
    assert n >= 10, n  # several chunks of 2

    small, large, whole = _rebuild_queries(2), _rebuild_queries(4), _rebuild_queries(n)
    chunks_small, chunks_large = -(-n // 2), -(-n // 4)
    # each extra chunk costs exactly its seven reads and the write of its facts: one
    # `bulk_create` here, one COPY on PostgreSQL (which Django's query log does not see)
    written = 0 if connection.vendor == "postgresql" else 1
    assert small - large == (PER_CHUNK + written) * (chunks_small - chunks_large)
    # and all of it in one chunk: a constant, however many dossiers
    assert whole <= 25, whole
    assert small <= 25 + (PER_CHUNK + written) * chunks_small
    # the counters are the live handler's and a recount's
    assert rollups.stored() == live == rollups.recount()
    check_presummed()
    assert DossierFact.objects.count() == n


def test_a_rebuild_from_a_day_in_chunks_repairs_that_day_on_and_keeps_the_rest(office):
    random_mix(office, 160, seed=11)
    live = rollups.stored()
    days = sorted(DossierDay.objects.values_list("day", flat=True).distinct())
    since = days[len(days) // 2]
    # damage a counter before the day and one after it, and lose some facts
    early, late = DossierDay.objects.filter(day__lt=since).first(), DossierDay.objects.last()
    DossierDay.objects.filter(pk=late.pk).update(received=late.received + 5)
    DossierDay.objects.filter(pk=early.pk).update(received=early.received + 3)
    rollups.rebuild(since, chunk=3)
    repaired = rollups.stored()
    key = (early.day, early.agency_id, early.commune_id, early.procedure_id, early.channel)
    # the day from `since` on recounted; the earlier damage is not a rebuild from `since`'s
    assert repaired[key]["received"] == live[key].get("received", 0) + 3
    repaired[key]["received"] -= 3
    if not repaired[key]["received"]:
        del repaired[key]["received"]
    assert {k: v for k, v in repaired.items() if v} == live
    # and from scratch, in chunks, everything
    rollups.rebuild(chunk=5)
    assert rollups.stored() == live == rollups.recount()
    check_presummed()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_processes_compute_the_same_counters(office, monkeypatch):
    """PostgreSQL's full rebuild computes the facts in worker processes (their own
    connections, so only with committed data: a transactional test)."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes are the PostgreSQL path (COPY in the parent)")
    random_mix(office, 160, seed=13)
    live = rollups.stored()
    n = DossierFact.objects.count()
    monkeypatch.setenv(rollups_rebuild.WORKERS_VARIABLE, "2")
    assert rollups.rebuild(chunk=3) == n
    assert DossierFact.objects.count() == n
    assert rollups.stored() == live == rollups.recount()
    check_presummed()


def test_the_upgrade_fills_the_presummed_tables_of_an_existing_installation(office):
    """An installation from before the pre-summed tables has day counters and empty
    pre-summed tables: migration 0005 sums them, so the reads that moved to them see its
    history (and a first delta cannot start a month below zero)."""
    import importlib

    from django.apps import apps

    from tinhso.ioc.models import ProcedureMonth, UnitDay, UnitMonth, UnitWeek

    random_mix(office, 120, seed=5)
    for model in (UnitDay, UnitWeek, UnitMonth, ProcedureMonth):
        model.objects.all().delete()  # as migrations 0003 and 0004 left them
    fill = importlib.import_module("tinhso.ioc.migrations.0005_fill_presummed_counters").fill

    class Editor:  # what RunPython hands the function: only its connection is read
        connection = connection

    fill(apps, Editor())
    check_presummed()
