"""Reads of field reports, and the access helpers that load a report only for who may see it.

Published reports (the reporter consented, not rejected) are public; their reporter's name and
contact never are. Officials see the reports of the agencies where they hold a role and of
the agencies under those. Legal sources as in tinhso.feedback.models.
"""

from __future__ import annotations

import decimal
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit, compiled_reads
from tinhso.core.calendar import current_calendar
from tinhso.core.compiled_reads import Markers
from tinhso.core.prepared import prepared_cursor
from tinhso.feedback import errors, open311, rules
from tinhso.feedback.errors import FeedbackError
from tinhso.feedback.models import Category, Photo, Report
from tinhso.people import clients
from tinhso.people.models import ApiClient, ApiScope, User
from tinhso.people.queries import AccessDenied, active_roles
from tinhso.places.models import Agency, Commune, CommuneBoundary
from tinhso.places.queries import home_province

HANDLING_ROLES = ("receiving_officer", "specialist", "head_of_unit", "leader")
NEARBY_METRES = 200


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("code").prefetch_related("attributes")


def published() -> QuerySet[Report]:
    return (
        Report.objects.filter(consents_to_publish=True)
        .exclude(state=Report.State.REJECTED)
        .select_related("category", "agency", "commune")
    )


@dataclass(frozen=True)
class Filters:
    category: str = ""
    commune: int | None = None
    state: str = ""
    since: date | None = None
    until: date | None = None


def public_reports(f: Filters) -> QuerySet[Report]:
    reports = published()
    if f.category:
        reports = reports.filter(category__code=f.category)
    if f.commune:
        reports = reports.filter(commune__code=f.commune)
    if f.state:
        reports = reports.filter(state=f.state)
    tz = timezone.get_current_timezone()
    if f.since:
        reports = reports.filter(received_at__gte=datetime.combine(f.since, time(), tz))
    if f.until:
        reports = reports.filter(
            received_at__lt=datetime.combine(f.until + timedelta(days=1), time(), tz)
        )
    return reports


@dataclass(frozen=True)
class CommuneGroup:
    """The reports of one commune (None: reports that name no commune)."""

    commune: Commune | None
    reports: list[Report]


def by_commune(reports: list[Report]) -> list[CommuneGroup]:
    """`reports` grouped by commune: most reports first, then by name; no commune last."""
    groups: dict[int | None, CommuneGroup] = {}
    for report in reports:
        group = groups.setdefault(report.commune_id, CommuneGroup(report.commune, []))
        group.reports.append(report)
    return sorted(
        groups.values(),
        key=lambda g: (g.commune is None, -len(g.reports), g.commune.name if g.commune else ""),
    )


def commune_outlines() -> list[tuple[Commune, Any]]:
    """The home province's communes that have an imported boundary, with its polygons."""
    return [
        (b.commune, b.polygons)
        for b in CommuneBoundary.objects.filter(commune__province=home_province())
        .select_related("commune")
        .order_by("commune__code")
    ]


def access_public_report(pk: int | str) -> Report:
    """A published report, or 404 (unpublished ones do not exist for the public)."""
    number = rules.parse_id(str(pk)) or 0  # 0 (no report) when not a number or too large
    try:
        return published().prefetch_related("photos", "events").get(pk=number)
    except Report.DoesNotExist:
        raise Http404(_("Không tìm thấy phản ánh.")) from None


def visible_agencies(user: Any) -> set[int]:
    """The agencies whose reports `user` handles: where they hold a role, and below."""
    roots = {r.agency_id for r in active_roles(user).filter(role__in=HANDLING_ROLES)}
    seen = set(roots)
    frontier = roots
    while frontier:
        frontier = (
            set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - seen
        )
        seen |= frontier
    return seen


def reports_for_official(user: Any) -> QuerySet[Report]:
    return Report.objects.filter(agency_id__in=visible_agencies(user)).select_related(
        "category", "agency"
    )


def access_report_for_official(user: Any, pk: int | str) -> Report:
    """The report, if `user` handles reports of its agency (otherwise REPORT_NOT_FOUND, the
    answer for a report that does not exist); the read of the reporter's contact details is
    recorded in the audit trail."""
    try:
        report = Report.objects.select_related("category", "agency").get(
            pk=rules.parse_id(str(pk)) or 0
        )
    except Report.DoesNotExist:
        raise FeedbackError(errors.REPORT_NOT_FOUND) from None
    if report.agency_id not in visible_agencies(user):
        # out of reach is "not found": report numbers of other agencies cannot be probed
        raise FeedbackError(errors.REPORT_NOT_FOUND)
    audit.record_read(report, ["reporter_name", "reporter_email", "reporter_phone"], actor=user)
    return report


# --- the office pages -----------------------------------------------------------------------

DUE_SOON_HOURS = 8  # working hours ahead that count as "near its deadline" (one working day)
DEADLINES = ("qua-han", "sap-den-han")


@dataclass(frozen=True)
class OfficeFilters:
    """The office queue's filters; `deadline` is "qua-han" (overdue) or "sap-den-han"."""

    state: str = ""
    category: int | None = None
    commune: int | None = None
    deadline: str = ""
    mine: bool = False


def office_queue(user: Any, f: OfficeFilters, now: datetime) -> QuerySet[Report]:
    """The reports of the official's agencies (and the units below), by deadline."""
    reports = reports_for_official(user).select_related("commune", "assignee")
    if f.state:
        reports = reports.filter(state=f.state)
    if f.category:
        reports = reports.filter(category_id=f.category)
    if f.commune:
        reports = reports.filter(commune_id=f.commune)
    if f.mine:
        reports = reports.filter(assignee=user)
    if f.deadline == "qua-han":
        reports = reports.filter(state__in=rules.OPEN, due_at__lt=now)
    elif f.deadline == "sap-den-han":
        soon = current_calendar().add_working_time(now, hours=DUE_SOON_HOURS)
        reports = reports.filter(state__in=rules.OPEN, due_at__gte=now, due_at__lte=soon)
    return reports.order_by("due_at", "pk")


def state_counts(user: Any) -> dict[str, int]:
    """How many of the official's reports are in each state (one query; zeros included)."""
    counts = dict.fromkeys(Report.State.values, 0)
    rows = (
        Report.objects.filter(agency_id__in=visible_agencies(user))
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for state, n in rows:
        counts[state] = n
    return counts


def assignable_officials(report: Report) -> QuerySet[User]:
    """Officials who may be given the report: a role in its agency or in a unit right under
    it (the rule `actions.assign_report` checks)."""
    agencies = Agency.objects.filter(Q(pk=report.agency_id) | Q(parent_id=report.agency_id))
    return (
        User.objects.filter(kind=User.Kind.OFFICIAL, is_active=True, roles__agency__in=agencies)
        .distinct()
        .order_by("full_name", "username")
    )


def reroute_targets(report: Report) -> list[Agency]:
    """Agencies a report can be re-routed to: the units under its agency first, then the
    other active agencies of the province (not the current one)."""
    others = Agency.objects.filter(is_active=True, province_id=report.agency.province_id).exclude(
        pk=report.agency_id
    )
    units = list(others.filter(parent_id=report.agency_id).order_by("name"))
    rest = list(others.exclude(parent_id=report.agency_id).order_by("level", "name")[:300])
    return units + rest


def duplicate_candidates(user: Any, report: Report) -> list[Report]:
    """Other open reports of the same category that may be the same problem: within
    NEARBY_METRES when the report has a position, else in the same commune; only reports
    the official may name as the original (published or of their agencies), nearest or
    oldest first, at most five."""
    mine = visible_agencies(user)
    candidates = (
        Report.objects.filter(category_id=report.category_id, state__in=rules.OPEN)
        .filter(Q(pk__in=published().values("pk")) | Q(agency_id__in=mine))
        .exclude(pk=report.pk)
        .select_related("commune")
    )
    if report.lat is not None and report.long is not None:
        lat, long = float(report.lat), float(report.long)
        box = NEARBY_METRES / 111_000 * 1.5
        found = [
            (rules.distance_m(lat, long, float(r.lat), float(r.long)), r)
            for r in candidates.filter(
                lat__range=(lat - box, lat + box), long__range=(long - box, long + box)
            )[:50]
            if r.lat is not None and r.long is not None
        ]
        return [r for d, r in sorted(found, key=lambda x: x[0]) if d <= NEARBY_METRES][:5]
    if report.commune_id is None:
        return []
    return list(candidates.filter(commune_id=report.commune_id).order_by("received_at")[:5])


def visible_original(user: Any, pk: int) -> Report | None:
    """A report `user` may name as the original of a duplicate: a published one, or one of
    the agencies whose reports they handle; None otherwise (the same answer as unknown)."""
    if not 0 < pk < 2**63:
        return None
    return (
        Report.objects.filter(pk=pk)
        .filter(Q(pk__in=published().values("pk")) | Q(agency_id__in=visible_agencies(user)))
        .first()
    )


def access_media(user: Any, pk: int | str) -> Photo:
    """A photo or video of a report, for whoever may see it: a published report's media to
    everyone; another report's only to its reporter and to the officials of the agencies
    handling it. 404 otherwise, the same answer as a file that does not exist."""
    photo = Photo.objects.select_related("report").filter(pk=rules.parse_id(str(pk)) or 0).first()
    if photo is None:
        raise Http404(_("Không tìm thấy tệp."))
    report = photo.report
    if report.is_public:
        return photo
    if getattr(user, "is_authenticated", False) and (
        report.reporter_id == user.pk
        or (
            getattr(user, "kind", "") == User.Kind.OFFICIAL
            and report.agency_id in visible_agencies(user)
        )
    ):
        return photo
    raise Http404(_("Không tìm thấy tệp."))


def access_own_report(user: Any, pk: int | str) -> Report:
    """A report the signed-in citizen filed (to reopen or rate it)."""
    if not getattr(user, "is_authenticated", False):
        raise AccessDenied(_("Cần đăng nhập."))
    try:
        return Report.objects.select_related("category").get(
            pk=rules.parse_id(str(pk)) or 0, reporter=user
        )
    except Report.DoesNotExist:
        raise Http404(_("Không tìm thấy phản ánh.")) from None


def nearby(
    category: Category, lat: float, long: float, *, metres: int = NEARBY_METRES
) -> list[Report]:
    """Open published reports of the same category within `metres`: likely duplicates."""
    box = metres / 111_000 * 1.5  # degrees, generous, then the exact distance
    candidates = published().filter(
        category=category,
        state__in=rules.OPEN,
        lat__range=(lat - box, lat + box),
        long__range=(long - box, long + box),
    )[:50]
    found = [
        (rules.distance_m(lat, long, float(r.lat), float(r.long)), r)
        for r in candidates
        if r.lat is not None and r.long is not None
    ]
    return [r for d, r in sorted(found, key=lambda x: x[0]) if d <= metres][:5]


def client_for_key(key: str | None, *, now: datetime | None = None) -> ApiClient:
    """The client holding `key`, admitted for Open311 POSTs and counted against its rate
    limit; or tinhso.people.clients.ClientRefused (unknown or revoked key, no `open311.post`
    scope, over the limit)."""
    return clients.admit(key, ApiScope.OPEN311_POST, now=now)


# The columns an Open311 service request needs, read without building model instances
# (a page holds up to 1,000 requests; instances cost more than the query).
OPEN311_COLUMNS = (
    "pk",
    "state",
    "answer",
    "public_note",
    "category__name",
    "category__code",
    "description",
    "agency__name",
    "received_at",
    "updated_at",
    "due_at",
    "address",
    "commune__code",
    "commune__name",
    "commune__division_type",
    "lat",
    "long",
)


def _first_photo() -> Subquery:
    """A report's first citizen photo (the lowest id), in the same statement as the report."""
    return Subquery(
        Photo.objects.filter(report_id=OuterRef("pk"), is_evidence=False)
        .order_by("pk")
        .values("pk")[:1]
    )


@dataclass(frozen=True)
class RequestRange:
    """The filter of an Open311 `GET requests.json` range, in one place: the service code,
    the dates, the states, the keyset cursor (`after`) and the page size. Both readers of a
    range, `open311_requests` (records) and `open311_range_rows` (tuples for the JSON
    writer), take it; each filter is written once, in `_open311_query`."""

    service_code: str = ""
    start: datetime | None = None
    end: datetime | None = None
    states: frozenset[str] | None = None
    after: int | None = None
    limit: int = 1000

    def shape(self) -> tuple[Any, ...]:
        """What the SQL depends on (which filters are given, the states, the limit), not the
        values that are bound as parameters."""
        return (
            bool(self.service_code),
            self.start is not None,
            self.end is not None,
            self.states,
            self.after is not None,
            self.limit,
        )

    def marked(self, m: Markers) -> RequestRange:
        """The same shape with `m`'s markers in place of the bound values (`_range_read`)."""
        return replace(
            self,
            service_code=m.text("code") if self.service_code else "",
            start=m.moment("start") if self.start is not None else None,
            end=m.moment("end") if self.end is not None else None,
            after=m.id("after") if self.after is not None else None,
        )

    def values(self) -> dict[str, Any]:
        """The values the markers of `marked` stand for, by name."""
        return {
            "code": self.service_code,
            "start": self.start,
            "end": self.end,
            "after": self.after,
        }


def _open311_query(
    span: RequestRange | None = None, *, ids: list[int] | None = None
) -> QuerySet[Report, tuple[Any, ...]]:
    reports = published()
    span = span or RequestRange()
    if ids is not None:
        reports = reports.filter(pk__in=ids)
    else:
        if span.service_code:
            reports = reports.filter(category__code=span.service_code)
        if span.start:
            reports = reports.filter(received_at__gte=span.start)
        if span.end:
            reports = reports.filter(received_at__lte=span.end)
        if span.after is not None:
            # Compared in SQL against the cursor's own row: still one round trip. The plain
            # `received_at <= at` is what lets the (received_at, id) index start at the cursor:
            # the OR alone is only a filter, and at 10 M reports a page in the middle of a week
            # read and dropped the ~48,000 newer rows of that week (181 ms; 17 ms at 1 M).
            at = Subquery(Report.objects.filter(pk=span.after).values("received_at")[:1])
            reports = reports.filter(received_at__lte=at).filter(
                Q(received_at__lt=at) | Q(received_at=at, pk__lt=span.after)
            )
    if span.states is not None:
        reports = reports.filter(state__in=span.states)
    return (
        reports.annotate(photo=_first_photo())
        .order_by("-received_at", "-pk")
        .values_list(*OPEN311_COLUMNS, "photo")[: span.limit]
    )


def open311_requests(
    span: RequestRange | None = None, *, ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Published reports as rows of OPEN311_COLUMNS plus `photo` (the first citizen photo's
    id, or None), newest first: those of `ids` (the span's states and limit still apply), or
    those of the span. One query whatever the number of rows.

    `span.after`: a service request id; the rows that come after it in this order (keyset
    pagination: a deep page costs what the first does, no OFFSET to walk). The range reads
    the (received_at, id) index (migration 0007) in order and stops at the limit.
    """
    rows = _open311_query(span, ids=ids)
    names = (*OPEN311_COLUMNS, "photo")
    return [dict(zip(names, row, strict=True)) for row in rows]


_RANGE = "feedback.open311_range"


def _range_read(m: Markers, span: RequestRange) -> QuerySet[Report, tuple[Any, ...]]:
    """The range's query with `m`'s markers: compiled once per shape and database by
    tinhso.core.compiled_reads, which refuses a marker a lookup transformed."""
    return _open311_query(span.marked(m))


# The page sizes whose statements are prepared: no page_size (the 1,000 cap) and a few round
# ones. Any other is the client's choice, sent unprepared: a page size is a literal in the
# SQL, and psycopg keeps a connection's last 100 prepared statements, so a client stepping
# through page sizes would push the look-up's, the submission's and the overview's out.
PREPARED_PAGE_SIZES = frozenset({1000, 500, 200, 100, 50, 20, 10})


def open311_range_rows(span: RequestRange) -> list[tuple[Any, ...]]:
    """`open311_requests` for a range, as the database returns it: one tuple per report in
    the order of OPEN311_COLUMNS plus `photo`, without Django's converters (a page holds up
    to 1,000 rows, and converting three datetimes and two decimals per row cost more than
    the query): the datetimes are those of `moment()`, the coordinates numbers or None.
    One prepared statement per shape of the query (page sizes of PREPARED_PAGE_SIZES).

    On PostgreSQL the rows come in the binary format (`prepared_cursor(binary=True)`):
    Django's text loader for timestamptz, a regular expression per value in Python, was
    half of a 7-day answer's time (issue 12); psycopg's binary loaders, in C, give the same
    instants, texts, integers and decimals."""
    return compiled_reads.rows(
        _RANGE,
        Report,
        lambda m: _range_read(m, span),
        span.values(),
        shape=span.shape(),
        convert=False,
        binary=True,
        prepare=span.limit in PREPARED_PAGE_SIZES,
    )


@dataclass(frozen=True)
class RangeJson:
    """A range's answer as PostgreSQL wrote it (`open311_range_json`): the JSON array in
    UTF-8, how many service requests it holds, and the last one's id (the next page's
    `after`). Bytes, as the response sends them: decoding 600 KB and encoding it again was
    0.8 ms of a 1,000-request answer's Python."""

    body: bytes
    count: int
    last: int | None


def open311_range_json(span: RequestRange, media_url: tuple[str, str]) -> RangeJson | None:
    """The JSON of `open311_requests(span)`'s records, written by PostgreSQL in the statement
    that reads them: the same text, byte for byte, as the records' json.dumps (and as
    open311_views' writer from `open311_range_rows`). None on other databases: they answer
    through `open311_range_rows`.

    Issue 12: at 1,000,000 reports every week holds more than the 1,000-request cap, and
    turning 1,000 rows into Python values and formatting three datetimes per row was most of
    the answer's CPU. Here the rows never reach Python; the answer's bytes do. `media_url`:
    the photo URL's text before and after the photo's id (`reverse()`'s, with the host).
    One prepared statement per shape of the range, as `open311_range_rows`."""
    db = Report.objects.db
    if connections[db].vendor != "postgresql":
        return None
    range_sql, range_params = compiled_reads.statement(
        _RANGE, Report, lambda m: _range_read(m, span), span.values(), shape=span.shape()
    )
    # only a list of ids can make a read empty whatever its values, and a range has none
    assert range_sql is not None, "a range is never empty at compile time"
    sql = _RANGE_JSON_SQL.get(range_sql)
    if sql is None:
        sql = _range_json_sql(range_sql)
        if len(_RANGE_JSON_SQL) > 256:  # page sizes are the client's: keep it bounded
            _RANGE_JSON_SQL.clear()
        _RANGE_JSON_SQL[range_sql] = sql
    before, after = media_url
    # JSON escapes character by character: the quoted URL is the quoted parts around the id
    params = [_JSON_TEXT(before)[:-1], _JSON_TEXT(after)[1:], *range_params]
    prepare = span.limit in PREPARED_PAGE_SIZES
    with prepared_cursor(db, binary=True) if prepare else connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        count, body, last = cursor.fetchone()
    return RangeJson(body=body, count=count, last=last)


_RANGE_JSON_SQL: dict[str, str] = {}
_JSON_TEXT = json.encoder.encode_basestring  # json.dumps(ensure_ascii=False)'s, as the view's

# `_open311_query`'s columns as the JSON statement names them: category__name is category_name
_RANGE_COLUMNS = tuple(c.replace("__", "_") for c in (*OPEN311_COLUMNS, "photo"))


def _sql_literal(text: str) -> str:
    if "%" in text:  # the statement's parameters are written %s
        raise ValueError(f"no % in the JSON statement's literals: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def _json_text_sql(expression: str) -> str:
    """A text as json.dumps(ensure_ascii=False) writes it: PostgreSQL's to_json escapes the
    same characters the same way (the quote and the backslash; b, f, n, r and t as short
    escapes; every other control character as u00xx in lowercase hex; nothing else); NULL
    is null."""
    return f"coalesce(to_json({expression})::text, 'null')"


def _w3c_sql(moment: str) -> str:
    """open311.w3c of the moment `moment` names in `_range_json_sql`'s lateral row (its time
    in Vietnam, `<moment>_local`, and in UTC, `<moment>_utc`): the local time to the second
    (truncated, as isoformat's timespec), then the zone's offset at that moment as isoformat
    writes it (+07:00; the offsets of before 1975 too, with seconds for those before 1906),
    quoted; NULL is null."""
    local, offset = f"m.{moment}_local", f"(m.{moment}_local - m.{moment}_utc)"
    size = f"(CASE WHEN {offset} < interval '0' THEN -{offset} ELSE {offset} END)"
    general = (
        f"CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END"
        f" || to_char({size}, 'HH24:MI')"
        f" || CASE WHEN extract(second FROM {offset}) = 0 THEN '' ELSE to_char({size}, ':SS') END"
    )
    return (
        f"""coalesce('"' || to_char({local}, 'YYYY-MM-DD"T"HH24:MI:SS') || """
        f"CASE WHEN {offset} = interval '7 hours' THEN '+07:00' ELSE {general} END"
        """ || '"', 'null')"""
    )


def _coordinate_sql(column: str) -> str:
    """repr(float(value)) of a numeric(9, 6): PostgreSQL writes the same shortest digits
    (1e-06 as 1e-06) but a whole number without Python's ".0"."""
    return (
        f"coalesce({column}::float8::text"
        f" || CASE WHEN {column} = trunc({column}) THEN '.0' ELSE '' END, 'null')"
    )


def _capitalized_sql(column: str) -> str:
    """str.capitalize() of a commune's division type: spelled out for each of the choices
    (PostgreSQL's upper() of "đ" depends on the database's locale), the rest as upper()."""
    from tinhso.places.models import DivisionType

    cases = " ".join(
        f"WHEN {_sql_literal(v)} THEN {_sql_literal(v.capitalize())}" for v in DivisionType.values
    )
    return f"CASE {column} {cases} ELSE upper(left({column}, 1)) || lower(substr({column}, 2)) END"


def _range_json_sql(range_sql: str) -> str:
    """The statement around the range's SQL that writes `open311_views._request_record`'s
    JSON for each row, in open311.REQUEST_FIELDS' order with json.dumps' separators, joined
    in the range's order; its first two parameters are the quoted media URL's parts."""
    is_open = "r.state IN (" + ", ".join(_sql_literal(s) for s in sorted(rules.OPEN)) + ")"
    resolved = _sql_literal(Report.State.RESOLVED)
    note = f"CASE WHEN r.state = {resolved} THEN r.answer ELSE r.public_note END"
    has_commune = "coalesce(r.commune_code, 0) <> 0"
    address = (
        f"CASE WHEN coalesce(r.address, '') = '' AND {has_commune} "
        f"THEN {_capitalized_sql('r.commune_division_type')} || ' ' || r.commune_name "
        "ELSE coalesce(r.address, '') END"
    )
    fields = {
        "service_request_id": """'"' || r.pk || '"'""",
        "status": f"""CASE WHEN {is_open} THEN '"open"' ELSE '"closed"' END""",
        "status_notes": _json_text_sql(note),
        "service_name": _json_text_sql("r.category_name"),
        "service_code": _json_text_sql("r.category_code"),
        "description": _json_text_sql("r.description"),
        "agency_responsible": _json_text_sql("r.agency_name"),
        "service_notice": """'""'""",
        "requested_datetime": _w3c_sql("received"),
        "updated_datetime": _w3c_sql("updated"),
        "expected_datetime": f"CASE WHEN {is_open} THEN {_w3c_sql('due')} ELSE 'null' END",
        "address": _json_text_sql(address),
        "address_id": (
            f"""CASE WHEN {has_commune} THEN '"' || r.commune_code || '"' ELSE '""' END"""
        ),
        "zipcode": """'""'""",
        "lat": _coordinate_sql("r.lat"),
        "long": _coordinate_sql("r.long"),
        "media_url": """CASE WHEN coalesce(r.photo, 0) <> 0 """
        """THEN %s::text || r.photo || %s::text ELSE '""' END""",
    }
    if tuple(fields) != open311.REQUEST_FIELDS:
        raise ValueError("the JSON statement's fields are not open311.REQUEST_FIELDS")
    parts = []
    for n, (name, expression) in enumerate(fields.items()):
        parts.append(_sql_literal(("{" if n == 0 else ", ") + _JSON_TEXT(name) + ": "))
        parts.append(f"({expression})")
    row = " || ".join(parts) + " || '}'"
    # Every piece is coalesced: a NULL anywhere would make the row NULL, and string_agg
    # would leave it out without a word.
    # Each moment converted once per row: OFFSET 0 keeps the lateral row from being folded
    # into the expressions that use it, where each use would convert it again.
    zone = _sql_literal(open311.VIETNAM.key)
    moments = ", ".join(
        f"r.{c} AT TIME ZONE {zone}, r.{c} AT TIME ZONE 'UTC'"
        for c in ("received_at", "updated_at", "due_at")
    )
    names = ", ".join(f"{c}_local, {c}_utc" for c in ("received", "updated", "due"))
    return (
        "SELECT count(*), convert_to('[' || coalesce("  # noqa: S608
        f"string_agg({row}, ', ' ORDER BY r.received_at DESC, r.pk DESC), '') || ']', 'UTF8'), "
        "(array_agg(r.pk ORDER BY r.received_at, r.pk))[1] "
        f"FROM ({range_sql}) AS r({', '.join(_RANGE_COLUMNS)}), "
        f"LATERAL (SELECT {moments} OFFSET 0) AS m({names})"
    )


def moment(value: datetime | str | None) -> datetime | None:
    """A datetime column of `open311_range_rows` as an aware datetime: PostgreSQL's driver
    gives one; SQLite gives UTC without its zone (or the text Django stored)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_FROM_FLOAT = decimal.Context(prec=15).create_decimal_from_float


def coordinate(value: Any) -> float | None:
    """A coordinate column of `open311_range_rows` as the number Django would give: SQLite
    holds a float, read back as Django does (15 digits, then the field's decimal places)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _FROM_FLOAT(value).quantize(_PLACES, context=_CONTEXT)
    return float(value)


_PLACES = decimal.Decimal(1).scaleb(-6)  # lat and long: DecimalField(9, 6)
_CONTEXT = decimal.Context(prec=9)


def latest_public_note(state: str, answer: str, public_note: str) -> str:
    """Open311 status_notes: the answer when resolved, else the latest public note."""
    return answer if state == Report.State.RESOLVED else public_note
