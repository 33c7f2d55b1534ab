"""Reads compiled once with marker values (`core.compiled_reads`, issue 12): each kind of marker
is bound as given and every call reads its own values; a lookup that transforms a marker
before binding it would bake it into the SQL, and compiling refuses it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from tinhso.core import compiled_reads
from tinhso.core.compiled_reads import MarkerNotBound
from tinhso.dossiers.models import LookupAttempt
from tinhso.ioc import compiled
from tinhso.ioc.models import ProcedureMonth

pytestmark = pytest.mark.django_db

_names = count()


def _name() -> str:
    """A read's name no other test compiled (the compiled reads live for the process)."""
    return f"tests.compiled_reads.{next(_names)}"


def _refused(name):
    return pytest.raises(MarkerNotBound, match=rf"marker\(s\) {name} not among")


def _rows(build, values, shape=None, name=None):
    return compiled_reads.rows(name or _name(), LookupAttempt, build, values, shape=shape)


MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def attempts():
    """Three failed look-ups a day apart, from two addresses on two codes."""
    for n, (client, code) in enumerate((("a", "X1"), ("b", "X2"), ("b", "Y3"))):
        LookupAttempt.objects.create(client=client, code=code, at=MONDAY + timedelta(days=n))


@pytest.fixture
def months():
    """Online receptions of three agencies in January and February."""
    for agency in (1, 2, 3):
        for month in (1, 2):
            ProcedureMonth.objects.create(
                period=date(2026, month, 1), agency_id=agency, procedure_id=10 * agency + month
            )


# --- text ---------------------------------------------------------------------------------
def test_a_text_marker_reads_each_calls_own_rows(attempts):
    name = _name()

    def build(m):
        return LookupAttempt.objects.filter(client=m.text("client")).order_by("at")

    assert _rows(lambda m: build(m).values_list("code"), {"client": "a"}, name=name) == [("X1",)]
    assert _rows(lambda m: build(m).values_list("code"), {"client": "b"}, name=name) == [
        ("X2",),
        ("Y3",),
    ]


@pytest.mark.parametrize("lookup", ["startswith", "contains", "endswith"])
def test_a_text_marker_a_lookup_transforms_is_refused(lookup):
    # startswith binds '\x00code%', not the marker: every later call would query '\x00code%'
    with _refused("code"):
        _rows(
            lambda m: LookupAttempt.objects.filter(**{f"code__{lookup}": m.text("code")}).values(
                "pk"
            ),
            {"code": "X"},
        )


def test_a_marker_bound_once_as_given_and_once_transformed_is_refused():
    def build(m):
        code = m.text("code")
        return LookupAttempt.objects.filter(code=code).exclude(client__startswith=code)

    with pytest.raises(MarkerNotBound, match="change with the markers"):
        _rows(lambda m: build(m).values("pk"), {"code": "X1"})


# --- one id ---------------------------------------------------------------------------------
def test_an_id_marker_reads_each_calls_own_rows(months):
    name = _name()

    def build(m):
        return (
            ProcedureMonth.objects.filter(agency_id=m.id("agency"))
            .order_by("period")
            .values_list("procedure_id")
        )

    assert _rows(build, {"agency": 1}, name=name) == [(11,), (12,)]
    assert _rows(build, {"agency": 3}, name=name) == [(31,), (32,)]


def test_an_id_marker_a_lookup_transforms_is_refused():
    # the text field binds str(-1000000000000000), a value no later call would change
    with _refused("agency"):
        _rows(lambda m: LookupAttempt.objects.filter(code=m.id("agency")).values("pk"), {})
    with _refused("agency"):
        _rows(
            lambda m: ProcedureMonth.objects.filter(agency_id__startswith=m.id("agency")).values(
                "pk"
            ),
            {},
        )


# --- a list of ids --------------------------------------------------------------------------
def _by_agencies(m, n):
    return (
        ProcedureMonth.objects.filter(agency_id__in=m.ids("ids", n), period=date(2026, 2, 1))
        .order_by("agency_id")
        .values_list("agency_id", "procedure_id")
    )


def test_an_id_list_reads_each_calls_own_rows_one_statement_per_length(months):
    name = _name()

    def read(ids):
        return _rows(lambda m: _by_agencies(m, len(ids)), {"ids": ids}, shape=len(ids), name=name)

    assert read([1, 2]) == [(1, 12), (2, 22)]
    assert read([2, 3]) == [(2, 22), (3, 32)]
    assert read([3]) == [(3, 32)]  # another length: its own statement
    assert read([1, 2, 3]) == [(1, 12), (2, 22), (3, 32)]


def test_an_empty_id_list_reads_nothing_without_a_query(months, django_assert_num_queries):
    name = _name()
    with django_assert_num_queries(0):
        assert _rows(lambda m: _by_agencies(m, 0), {"ids": []}, shape=0, name=name) == []
        assert _rows(lambda m: _by_agencies(m, 0), {"ids": []}, shape=0, name=name) == []


def test_a_union_part_an_empty_id_list_drops_reads_the_other_parts(months):
    """The ORM leaves out a UNION's empty part, and with it its markers: nothing else changes
    with them, so the read compiles and each call reads its own rows."""
    name = _name()

    def build(m, n):
        agencies = ProcedureMonth.objects.filter(
            agency_id__in=m.ids("ids", n), period__gte=m.date("since")
        )
        before = ProcedureMonth.objects.filter(agency_id=3, period__lt=m.date("before"))
        return before.values_list("procedure_id").union(
            agencies.values_list("procedure_id"), all=True
        )

    def read(ids, before):
        values = {"ids": ids, "since": date(2026, 2, 1), "before": before}
        return sorted(_rows(lambda m: build(m, len(ids)), values, shape=len(ids), name=name))

    assert read([], date(2026, 2, 1)) == [(31,)]
    assert read([], date(2026, 3, 1)) == [(31,), (32,)]
    assert read([1], date(2026, 2, 1)) == [(12,), (31,)]


def test_an_id_list_a_lookup_transforms_is_refused():
    # the text field binds each id as its text
    with _refused("ids"):
        _rows(
            lambda m: LookupAttempt.objects.filter(code__in=m.ids("ids", 2)).values("pk"),
            {"ids": [1, 2]},
            shape=2,
        )


def test_ioc_an_id_the_builder_shifted_is_refused():
    # arithmetic on an id marker: the bound value is no longer the marker
    with _refused("ids"):
        compiled.rows(
            _name(),
            1,
            lambda m: ProcedureMonth.objects.filter(pk__gt=m.ids("ids", 1)[0] + 1).values_list(
                "pk"
            ),
            {"ids": [1]},
        )


# --- dates ----------------------------------------------------------------------------------
def test_a_date_marker_reads_each_calls_own_rows(months, attempts):
    name = _name()

    def build(m):
        return (
            ProcedureMonth.objects.filter(period=m.date("month"), agency_id=2)
            .values_list("procedure_id")
            .order_by()
        )

    assert _rows(build, {"month": date(2026, 1, 1)}, name=name) == [(21,)]
    assert _rows(build, {"month": date(2026, 2, 1)}, name=name) == [(22,)]

    # a date lookup on a moment binds the date as given
    on = _name()

    def on_day(m):
        return LookupAttempt.objects.filter(at__date=m.date("day")).values_list("code")

    assert _rows(on_day, {"day": MONDAY.date()}, name=on) == [("X1",)]
    assert _rows(on_day, {"day": MONDAY.date() + timedelta(days=2)}, name=on) == [("Y3",)]


def test_a_date_marker_a_lookup_transforms_is_refused():
    # a moment's field makes the date that day's midnight in the current time zone
    with pytest.warns(RuntimeWarning, match="naive datetime"), _refused("day"):
        _rows(lambda m: LookupAttempt.objects.filter(at__gte=m.date("day")).values("pk"), {})
    with _refused("month"):
        _rows(
            lambda m: ProcedureMonth.objects.filter(period__startswith=m.date("month")).values(
                "pk"
            ),
            {},
        )


# --- moments --------------------------------------------------------------------------------
def test_a_moment_marker_reads_each_calls_own_rows_converted_as_the_orm_does(attempts):
    name = _name()

    def build(m):
        return (
            LookupAttempt.objects.filter(at__gte=m.moment("since"))
            .order_by("at")
            .values_list("code", "at")
        )

    day = timedelta(days=1)
    assert _rows(build, {"since": MONDAY + day}, name=name) == [
        ("X2", MONDAY + day),
        ("Y3", MONDAY + 2 * day),
    ]
    assert _rows(build, {"since": MONDAY + 2 * day}, name=name) == [("Y3", MONDAY + 2 * day)]
    # as the queryset gives them: aware datetimes
    expected = list(
        LookupAttempt.objects.filter(at__gte=MONDAY).order_by("at").values_list("code", "at")
    )
    assert _rows(build, {"since": MONDAY}, name=name) == expected


def test_without_converters_the_rows_are_the_drivers(attempts):
    from django.db import connection

    rows = compiled_reads.rows(
        _name(),
        LookupAttempt,
        lambda m: LookupAttempt.objects.filter(code=m.text("code")).values_list("at"),
        {"code": "X1"},
        convert=False,
    )
    # SQLite's driver gives the stored UTC without its zone (Django's converter makes it
    # aware), PostgreSQL's an aware datetime
    expected = MONDAY.replace(tzinfo=None) if connection.vendor == "sqlite" else MONDAY
    assert rows == [(expected,)]


def test_a_statement_wrapping_the_read_runs_it_with_each_calls_values(attempts):
    from django.db import connection

    name = _name()

    def build(m):
        return LookupAttempt.objects.filter(client=m.text("client"), at__gte=m.moment("since"))

    def counted(client, since):
        sql, params = compiled_reads.statement(
            name, LookupAttempt, lambda m: build(m).values("pk"), {"client": client, "since": since}
        )
        with connection.cursor() as cursor:
            # the ORM's own SQL, the values as parameters
            cursor.execute(f"SELECT count(*) FROM ({sql}) AS found", params)  # noqa: S608
            return cursor.fetchone()[0]

    assert counted("b", MONDAY) == 2
    assert counted("b", MONDAY + timedelta(days=2)) == 1
    assert counted("a", MONDAY) == 1


def test_a_moment_marker_a_lookup_transforms_is_refused():
    # a date lookup on a moment: the lookup binds the moment's date
    with _refused("seen_at"):
        _rows(lambda m: LookupAttempt.objects.filter(at__date=m.moment("seen_at")).values("pk"), {})
    with _refused("since"):
        _rows(
            lambda m: ProcedureMonth.objects.filter(period__gte=m.moment("since")).values("pk"),
            {},
        )


# --- model instances ------------------------------------------------------------------------
def test_instances_of_each_call_are_its_own(attempts):
    name = _name()

    def build(m):
        return LookupAttempt.objects.filter(client=m.text("client"), at__lt=m.moment("before"))

    later = MONDAY + timedelta(days=5)
    found = compiled_reads.objects(name, LookupAttempt, build, {"client": "b", "before": later})
    assert sorted((a.code, a.at) for a in found) == [
        ("X2", MONDAY + timedelta(days=1)),
        ("Y3", MONDAY + timedelta(days=2)),
    ]
    found = compiled_reads.objects(name, LookupAttempt, build, {"client": "a", "before": later})
    assert [(a.code, a.client, a.at) for a in found] == [("X1", "a", MONDAY)]
    assert found[0] == LookupAttempt.objects.get(code="X1")


def test_a_value_the_builder_reads_itself_is_refused():
    # compiled once, the first call's time would stay the statement's for the process
    with pytest.raises(MarkerNotBound, match="change with the markers"):
        _rows(lambda m: LookupAttempt.objects.filter(at__lt=timezone.now()).values("pk"), {})


def test_a_read_cycling_through_shapes_drops_only_its_own(months):
    """A shape can be the client's (a page size written into the SQL): one read's shapes are
    bounded on their own (the count fails on the one bound for all reads this replaced), and
    cycling them keeps the other reads' statements."""
    kept, churned = _name(), _name()

    def read(name, ids):
        return _rows(lambda m: _by_agencies(m, len(ids)), {"ids": ids}, shape=len(ids), name=name)

    assert read(kept, [1]) == [(1, 12)]
    kept_key = next(k for k in compiled_reads._COMPILED if k[0] == kept)
    for n in range(1, compiled_reads._SHAPES_PER_READ + 2):
        read(churned, list(range(1, n + 1)))

    assert kept_key in compiled_reads._COMPILED
    assert sum(k[0] == churned for k in compiled_reads._COMPILED) <= compiled_reads._SHAPES_PER_READ
