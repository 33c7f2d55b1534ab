"""Reads of dossiers, each through a check that the reader may see it.

Legal source: Decree 13/2023/NĐ-CP (personal data): a dossier is shown to its owner, and to
anyone holding both its code and its look-up secret, which the public look-up treats alike
for "no such code" and "wrong secret" so that codes cannot be enumerated.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Func, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.core import compiled_reads
from tinhso.core.calendar import current_calendar
from tinhso.core.prepared import prepared
from tinhso.dossiers import clock, codes
from tinhso.dossiers.models import (
    Dossier,
    DossierFile,
    DossierResult,
    LookupAttempt,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_LOOKUPS_PER_MINUTE = 10  # dossier codes with a failed look-up, per client address
DEFAULT_LOOKUPS_PER_CODE_PER_MINUTE = 5  # failed look-ups of one dossier code, any address
LOOKUP_WINDOW = timedelta(minutes=1)
# A digest no secret has: unknown codes are compared against it, so a miss costs the same
# work (the keyed hash of what was typed) as a wrong secret.
_DECOY_DIGEST = "0" * 64


def _detail_queryset() -> QuerySet[Dossier]:
    return Dossier.objects.select_related("version__procedure", "agency", "owner")


_PUBLIC_COLUMNS = (
    "pk",
    "code",
    "lookup_secret_hash",
    "state",
    "submitted_at",
    "appointment_at",
    "applicant_name",
    "version__name",
    "agency__name",
)


def my_dossiers(user: Any) -> QuerySet[Dossier]:
    return _detail_queryset().filter(owner=user).order_by("-updated_at", "-pk")


def access_draft(user: Any, pk: int) -> Dossier:
    """The user's own draft, or 404 (also for someone else's draft)."""
    dossier = (
        _detail_queryset().filter(pk=pk, owner=user, state=Dossier.State.DRAFT).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if dossier is None:
        raise Http404(_("Không tìm thấy bản nháp."))
    return dossier


def submitted_code_of_draft(user: Any, pk: int) -> str | None:
    """The code of the user's own dossier `pk` once it is no longer a draft, else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Dossier.objects.filter(pk=pk, owner=user)
        .exclude(state=Dossier.State.DRAFT)
        .exclude(code="")
        .values_list("code", flat=True)
        .first()
    )


def access_dossier_for_client(client: Any, code: str) -> Dossier:
    """A dossier the client application submitted, by code, or 404 (also for any other)."""
    dossier = (
        _detail_queryset().filter(code=code, submitted_by_client=client).first()
        if client is not None and client.pk
        else None
    )
    if dossier is None:
        raise Http404(_("Không tìm thấy hồ sơ."))
    return dossier


def access_dossier(user: Any, code: str) -> Dossier:
    """The user's own submitted dossier by code, or 404 (also for someone else's)."""
    dossier = (
        _detail_queryset().filter(code=code, owner=user).exclude(state="draft").first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if dossier is None:
        raise Http404(_("Không tìm thấy hồ sơ."))
    return dossier


def access_file(user: Any, pk: int) -> DossierFile:
    item = DossierFile.objects.select_related("dossier").filter(pk=pk).first()
    if item is None or item.dossier.owner_id != getattr(user, "pk", None):
        raise Http404(_("Không tìm thấy tệp."))
    return item


def access_result(user: Any, pk: int) -> DossierResult:
    result = DossierResult.objects.select_related("dossier").filter(pk=pk).first()
    if result is None or result.dossier.owner_id != getattr(user, "pk", None):
        raise Http404(_("Không tìm thấy kết quả."))
    return result


# --- public look-up -------------------------------------------------------------------------
class TooManyLookups(Exception):
    """Too many failed look-ups in the last minute, for this address or for this code;
    `retry_after`: whole seconds until the window frees (at least 1)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def lookups_per_minute() -> int:
    """Per client address: how many dossier codes may fail a look-up in a minute."""
    return int(settings.DOSSIER_LOOKUPS_PER_MINUTE)


def lookups_per_code_per_minute() -> int:
    """Per dossier code: how many failed look-ups a minute, from any address."""
    return int(
        getattr(
            settings, "DOSSIER_LOOKUPS_PER_CODE_PER_MINUTE", DEFAULT_LOOKUPS_PER_CODE_PER_MINUTE
        )
    )


def _lookup_key(code: str) -> str:
    return code[:64]


def _frees_at(times: list[datetime], limit: int) -> datetime | None:
    """When a window holding failures at `times` (any order) drops below `limit`: None if it
    is below already, else when the one that must leave last for that leaves the window."""
    if len(times) < limit:
        return None
    ordered = sorted(times, reverse=True)  # newest first: the limit-th newest must leave
    return ordered[limit - 1] + LOOKUP_WINDOW


# Failures of one code from all addresses together may reach this many times the per-address
# limit: enough that no one can lock a citizen out of their own dossier by failing on purpose
# from one address, still far too few to guess a secret of about 50 bits.
ANY_ADDRESS_FACTOR = 20


def _check_throttle(client: str, code: str, *, guessable: bool = True) -> None:
    """TooManyLookups when the look-up of `code` from `client` is over a limit.

    Failures only are counted (a wrong secret, an unknown code, a link that does not verify),
    as with sign-in lockouts, so a citizen checking a dossier they hold the secret for is
    never slowed down and a correct look-up costs reads, not writes:
    - one code from one address: `lookups_per_code_per_minute()` failures a minute; a clerk
      mistyping a citizen's secret locks that code for that office only;
    - one code from all addresses: ANY_ADDRESS_FACTOR times that, against guessing one code's
      secret from many addresses; a QR link (`guessable=False`, signed by this site) is not
      held by it, so the receipt's link always opens the status;
    - distinct codes failed from one address: `lookups_per_minute()` a minute, against
      trying many codes; one code mistyped again and again counts once here.
    The wait is exact: until the failure that keeps a window full leaves it.
    """
    now = timezone.now()
    recent = LookupAttempt.objects.filter(at__gt=now - LOOKUP_WINDOW)
    frees = []
    latest: dict[str, datetime] = {}
    mine: list[datetime] = []
    for key, at in recent.filter(client=client).values_list("code", "at"):
        latest[key] = max(at, latest.get(key, at))
        if code and key == code:
            mine.append(at)
    per_code = lookups_per_code_per_minute()
    frees.append(_frees_at(mine, per_code))
    if code and guessable:
        everyone = list(recent.filter(code=code).values_list("at", flat=True))
        frees.append(_frees_at(everyone, per_code * ANY_ADDRESS_FACTOR))
    frees.append(_frees_at(list(latest.values()), lookups_per_minute()))
    waits = [moment for moment in frees if moment is not None]
    if waits:
        seconds = (max(waits) - now).total_seconds()
        raise TooManyLookups(max(1, math.ceil(seconds)))


def _record_failure(client: str, code: str) -> None:
    now = timezone.now()
    # One insert, no transaction: the clean-up below need not commit with it.
    LookupAttempt.objects.create(client=client, code=code, at=now)
    if now.second == 0:  # now and then, forget old tries
        LookupAttempt.objects.filter(at__lt=now - timedelta(hours=1)).delete()


@dataclass(frozen=True)
class PublicStatus:
    """What the public look-up shows: no personal data beyond the applicant's initials."""

    code: str
    procedure: str
    agency: str
    state: str
    state_label: str
    submitted_at: datetime | None
    appointment_at: datetime | None
    paused: bool
    applicant_initials: str
    events: list[tuple[datetime, str, str]]


def initials(name: str) -> str:
    """ "Nguyễn Văn An" → "N. V. A.": enough to recognise one's own dossier, no more."""
    return " ".join(f"{part[0]}." for part in name.split() if part)


def public_lookup(code: str, secret: str, *, client: str) -> PublicStatus | None:
    """The dossier's status if `secret` is right; None for a wrong secret or unknown code.

    The hottest read of the portal: a right secret is one query (the dossier, its events and
    the failures counted against this address and code, `_read_public`); the limits are read
    in full and a failure written only when something went wrong.
    """
    client = client or "unknown"
    code = (code or "").strip()
    key = _lookup_key(code.upper())
    read = _read_public(code, client, key, guessable=True) if codes.looks_like_code(code) else None
    if read is None:  # unknown code: the same work and the same answer as a wrong secret
        _check_throttle(client, key)
        codes.secret_matches_digest(secret, _DECOY_DIGEST)
        _record_failure(client, key)
        return None
    if not codes.secret_matches_digest(secret, read.row[2]):
        _record_failure(client, key)  # the read has found it under every limit
        return None
    return read.status()


def public_lookup_by_link(token: str, *, client: str) -> PublicStatus | None:
    """The dossier's status from a receipt's QR link (`receipt.link_token`), no typing.

    None, counted as a failed look-up, for a link this site did not sign, or one made before
    the secret was reissued (its verifier no longer matches the stored digest).
    """
    from tinhso.dossiers.receipt import link_verifier, read_link_token

    client = client or "unknown"
    parsed = read_link_token(token)
    key = _lookup_key(parsed[0].upper() if parsed is not None else f"qr:{token[:40]}")
    read = None
    if parsed is not None and codes.looks_like_code(parsed[0]):
        read = _read_public(parsed[0], client, key, guessable=False)
    if (
        parsed is None
        or read is None
        or not hmac.compare_digest(link_verifier(read.row[2]).encode(), parsed[1].encode())
    ):
        if read is None:  # else the read has found it under every limit
            _check_throttle(client, key, guessable=False)
        _record_failure(client, key)
        return None
    return read.status()


@dataclass(frozen=True)
class _PublicRead:
    """One read of the look-up, made under every limit: the dossier's public columns and its
    events."""

    row: tuple[Any, ...]
    events: list[tuple[datetime, str]]

    def status(self) -> PublicStatus:
        return _public_status(self.row, self.events)


def _failures(since: datetime, **where: str) -> Subquery:
    counted = LookupAttempt.objects.filter(at__gt=since, **where).order_by()
    return Subquery(counted.annotate(n=Func("pk", function="COUNT")).values("n"))


def _public_read_query(
    code: str, since: datetime, client: str, key: str, guessable: bool
) -> QuerySet[Any]:
    return (
        Dossier.objects.filter(code=code)
        .exclude(state=Dossier.State.DRAFT)
        .annotate(
            failed_here=_failures(since, client=client),
            failed_on_code=_failures(since, code=key) if guessable else Value(0),
        )
        .order_by("events__at", "events__pk")
        .values_list(
            *_PUBLIC_COLUMNS, "failed_here", "failed_on_code", "events__at", "events__state"
        )
    )


def _public_read_build(guessable: bool) -> compiled_reads.Build:
    def build(m: compiled_reads.Markers) -> QuerySet[Any]:
        key = m.text("key") if guessable else ""  # unguessable: the code's count is not read
        return _public_read_query(
            m.text("code"), m.moment("since"), m.text("client"), key, guessable
        )

    return build


_PUBLIC_READS = {guessable: _public_read_build(guessable) for guessable in (True, False)}


def _run_public_read(
    code: str, since: datetime, client: str, key: str, guessable: bool
) -> list[tuple[Any, ...]]:
    """The look-up's one statement, compiled by the ORM once per process and database and run
    prepared (see tinhso.core.compiled_reads): building and compiling the queryset cost more
    than running it (about 1.5 ms of a 2.7 ms request, profiled)."""
    return compiled_reads.rows(
        "dossiers.public_lookup",
        Dossier,
        _PUBLIC_READS[guessable],
        {"code": code, "since": since, "client": client, "key": key},
        shape=guessable,
    )


def _read_public(code: str, client: str, key: str, *, guessable: bool) -> _PublicRead | None:
    """The submitted dossier `code` with its events, in one query, or None.

    The same query counts the failures of the last minute from `client` and on `key`
    (both indexed): below every limit, which is nearly always, nothing more is read and a
    right secret answers at once. At or over one, `_check_throttle` reads the window in full
    before any answer, so a held address or code gets 429 even for the right secret: the
    status is never an oracle while guessing is held (TooManyLookups raised from here).
    """
    rows = _run_public_read(code, timezone.now() - LOOKUP_WINDOW, client, key, guessable)
    if not rows:
        return None
    width = len(_PUBLIC_COLUMNS)
    failed_here, failed_on_code = rows[0][width], rows[0][width + 1]
    per_code = lookups_per_code_per_minute()
    # Each limit counts a subset of these rows (one code's failures from here, distinct codes
    # from here, one code's failures from everywhere): below these, none can be reached.
    near = (failed_here or 0) >= min(per_code, lookups_per_minute()) or (
        (failed_on_code or 0) >= per_code * ANY_ADDRESS_FACTOR
    )
    if near:
        _check_throttle(client, key, guessable=guessable)
    events = [(row[-2], row[-1]) for row in rows if row[-2] is not None]
    return _PublicRead(row=rows[0][:width], events=events)


def _public_status(row: tuple[Any, ...], events: list[tuple[datetime, str]]) -> PublicStatus:
    _pk, code, _secret, state, submitted_at, appointment_at, name, procedure, agency = row
    return PublicStatus(
        code=code,
        procedure=procedure,
        agency=agency,
        state=state,
        state_label=str(Dossier.State(state).label),
        submitted_at=submitted_at,
        appointment_at=appointment_at,
        paused=state == Dossier.State.SUPPLEMENT_REQUESTED,
        applicant_initials=initials(name),
        events=[
            (at, event_state, str(Dossier.State(event_state).label)) for at, event_state in events
        ],
    )


def paused_so_far(dossier: Dossier, now: datetime | None = None) -> timedelta:
    """Working time the legal clock has stood still for supplements, up to now."""
    now = now or timezone.now()
    intervals = [(s.requested_at, s.answered_at) for s in dossier.supplements.all()]
    if not intervals:
        return timedelta(0)
    return clock.paused(current_calendar(), intervals, now)


# --- officials ------------------------------------------------------------------------------
def _official_agency_ids(user: Any) -> set[int]:
    from tinhso.people.queries import active_roles

    return set(active_roles(user).values_list("agency_id", flat=True))


def visible_to_official(user: Any) -> QuerySet[Dossier]:
    """Dossiers an official may see (the rule is `permissions.visible_filter`)."""
    from tinhso.dossiers import permissions

    return permissions.visible_to_official(user)


def access_dossier_for_official(user: Any, code: str) -> Dossier:
    """The dossier by code if this official may see it, else 404 (as if it did not exist)."""
    pk = visible_to_official(user).filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404(_("Không tìm thấy hồ sơ."))
    return _detail_queryset().select_related("current_step", "current_agency").get(pk=pk)


# --- timeliness (the tracking sheet and the national rule) ----------------------------------
@dataclass(frozen=True)
class StepRow:
    """One row of the tracking sheet (Phiếu kiểm soát)."""

    name: str
    agency: str  # code
    agency_name: str
    from_user: str
    to_user: str
    started_at: datetime
    due_at: datetime
    finished_at: datetime | None
    outcome: str
    verdict: str | None  # early / on_time / late, None while open and not yet late


@dataclass(frozen=True)
class Timeliness:
    steps: list[StepRow]
    supplements: int  # requests made during processing
    appointment: datetime | None
    overall: str | None  # None while not finished
    at_fault: str | None  # agency code


def timeliness(dossier: Dossier, now: datetime | None = None) -> Timeliness:
    """Early / on time / late per hand-off and overall (national rule, `clock`)."""
    now = now or timezone.now()
    calendar = current_calendar()
    records = list(
        dossier.step_records.select_related("agency", "from_user", "assignee").order_by("pk")
    )
    rows = []
    for r in records:
        if r.finished_at is not None:
            verdict: str | None = clock.verdict(calendar, r.finished_at, r.due_at).value
        else:
            verdict = clock.Verdict.LATE.value if now > r.due_at else None
        rows.append(
            StepRow(
                name=r.name,
                agency=r.agency.code,
                agency_name=r.agency.name,
                from_user=r.from_user.display_name if r.from_user else "",
                to_user=r.assignee.display_name if r.assignee else "",
                started_at=r.started_at,
                due_at=r.due_at,
                finished_at=r.finished_at,
                outcome=r.outcome,
                verdict=verdict,
            )
        )
    supplements = dossier.supplements.filter(during_processing=True).count()
    overall = None
    if dossier.finished_at is not None and dossier.appointment_at is not None:
        overall = clock.national_verdict(
            calendar, dossier.finished_at, dossier.appointment_at, supplements
        ).value
    spans = [clock.StepSpan(r.agency, r.started_at, r.due_at, r.finished_at) for r in rows]
    return Timeliness(
        steps=rows,
        supplements=supplements,
        appointment=dossier.appointment_at,
        overall=overall,
        at_fault=clock.agency_at_fault(spans, dossier.finished_at or now),
    )


def apology_warning() -> timedelta:
    """`DOSSIER_APOLOGY_WARNING_HOURS` (working hours before the appointment, default 8)."""
    return timedelta(hours=float(settings.DOSSIER_APOLOGY_WARNING_HOURS or 8))


def apology_due(dossier: Dossier, now: datetime | None = None) -> Any:
    """The agency that must apologise now (Mẫu 04), or None: the one whose step overran, or
    the current one when the appointment is less than the warning time away."""
    from tinhso.places.models import Agency

    if dossier.state != Dossier.State.RECEIVED or dossier.clock_start_at is None:
        return None
    now = now or timezone.now()
    calendar = current_calendar()
    latest = dossier.apologies.order_by("-created_at", "-pk").first()
    appointment = latest.new_appointment if latest else dossier.appointment_at
    if appointment is None:
        return None
    report = timeliness(dossier, now)
    late_step = report.steps and report.steps[-1].verdict == clock.Verdict.LATE.value
    given = clock.granted_time(calendar, dossier.clock_start_at, appointment)
    warning = clock.apology_warning(given, apology_warning())
    if (
        latest is not None
        and latest.created_at
        >= (report.steps[-1].started_at if report.steps else latest.created_at)
        and not clock.needs_apology(calendar, appointment, now, warning)
    ):
        return None
    if late_step or clock.needs_apology(calendar, appointment, now, warning):
        code = report.at_fault
        if code:
            return Agency.objects.filter(code=code).first()
        return dossier.current_agency or dossier.agency
    return None


# --- work queues ------------------------------------------------------------------------------
QUEUES: list[tuple[str, StrOrPromise]] = [
    ("cua-toi", gettext_lazy("Hồ sơ của tôi")),
    ("don-vi", gettext_lazy("Hồ sơ của đơn vị")),
    ("cho-tiep-nhan", gettext_lazy("Chờ tiếp nhận")),
    ("cho-tra-ket-qua", gettext_lazy("Chờ trả kết quả")),
    ("den-han-hom-nay", gettext_lazy("Đến hạn hôm nay")),
    ("sap-den-han", gettext_lazy("Sắp đến hạn")),
    ("qua-han", gettext_lazy("Quá hạn")),
    ("cho-bo-sung", gettext_lazy("Chờ công dân bổ sung")),
    # the desk's paper intakes with a component not digitised yet (actions/digitisation.py)
    ("cho-so-hoa", gettext_lazy("Chờ số hóa")),
]
DEFAULT_DUE_SOON_HOURS = 16


def due_soon_hours() -> float:
    """`DOSSIER_DUE_SOON_HOURS`: working hours ahead that count as "due soon" (default 16)."""
    return float(settings.DOSSIER_DUE_SOON_HOURS or DEFAULT_DUE_SOON_HOURS)


# What a queue page shows and what its row actions check (`views_office._row` and the rules
# in `permissions`): a page loads only these, so it no longer carries each dossier's e-form and
# its version's schema, parsed from JSON row by row. A field missing here is loaded again row by
# row: tests/dossiers/test_queue_hot_path.py reads every one of them under a query count.
QUEUE_ROW = (
    "code",
    "state",
    "due_at",
    "submitted_at",
    "applicant_name",
    "filing",
    "filer_name",
    "agency",
    "reception_agency",
    "current_agency",
    "assignee",
    "route",
    "version__name",
    "current_step__name",
    "current_step__role",
    "current_step__position",
    "assignee__full_name",
    "assignee__username",
)
QUEUE_RELATED = ("version", "current_step", "assignee")
PAGE_SIZE = 50


def queue(user: Any, name: str, now: datetime | None = None) -> QuerySet[Dossier]:
    """One work queue of an official, ordered by due time (then id), with only the columns a
    page shows (`QUEUE_ROW`). The unit's queues read the index `dossier_queue` (agency, state,
    due time, id) in that order and stop at the page, or `dossier_received_by_due` for an
    official of several agencies (migration 0013); deep pages are cheaper by `queue_page`."""
    from django.db.models import F

    rows = _queue_rows(user, name, now or timezone.now()).select_related(*QUEUE_RELATED)
    # rows without a due time last on every database (PostgreSQL's order, and the index's);
    # the page is read with a prepared statement (PostgreSQL planned this join for longer
    # than it ran it; tinhso.core.prepared)
    return prepared(rows.only(*QUEUE_ROW).order_by(F(_queue_key(name)).asc(nulls_last=True), "pk"))


def _queue_key(name: str) -> str:
    return "submitted_at" if name in {"cho-tiep-nhan", "cho-so-hoa"} else "due_at"


# Queues of the dossiers being processed in the official's agencies: one index range each
# (`dossier_queue`: agency, state, due time, id), merged when the official has several.
BY_AGENCY = frozenset({"don-vi", "den-han-hom-nay", "sap-den-han", "qua-han"})


def _queue_rows(
    user: Any, name: str, now: datetime, ids: set[int] | None = None
) -> QuerySet[Dossier]:
    from datetime import time as clock_time

    ids = _official_agency_ids(user) if ids is None else ids
    processing = Dossier.objects.filter(current_agency_id__in=ids, state=Dossier.State.RECEIVED)
    if name == "cua-toi":
        return Dossier.objects.filter(assignee=user, state=Dossier.State.RECEIVED)
    if name == "don-vi":
        return processing
    if name == "cho-tiep-nhan":
        return visible_to_official(user).filter(state=Dossier.State.SUBMITTED)
    if name == "cho-tra-ket-qua":
        # The result is in: the desk that received the dossier returns it (Decree 118/2025).
        return visible_to_official(user).filter(state=Dossier.State.RESULT_READY)
    if name == "den-han-hom-nay":
        calendar = current_calendar()
        end = datetime.combine(calendar.local(now).date(), clock_time.max, calendar.tz)
        return processing.filter(due_at__gte=now, due_at__lte=end)
    if name == "sap-den-han":
        soon = current_calendar().add_working_time(now, hours=due_soon_hours())
        return processing.filter(due_at__gte=now, due_at__lte=soon)
    if name == "qua-han":
        return processing.filter(due_at__lt=now)
    if name == "cho-so-hoa":
        from tinhso.dossiers.actions.digitisation import awaiting

        return awaiting(user)
    if name == "cho-bo-sung":
        return Dossier.objects.filter(state=Dossier.State.SUPPLEMENT_REQUESTED).filter(
            models_q(current_agency_id__in=ids) | models_q(reception_agency_id__in=ids)
        )
    raise Http404(_("Không có hàng đợi này."))


@dataclass(frozen=True)
class QueuePage:
    """A page of a queue and where the next one starts (None on the last page)."""

    rows: list[Dossier]
    after: str | None


def queue_page(
    user: Any,
    name: str,
    now: datetime | None = None,
    *,
    after: str = "",
    size: int = PAGE_SIZE,
) -> QueuePage:
    """A page of a queue by keyset: the rows after the last one of the previous page
    (`after`, from `QueuePage.after`), so page 400 costs what page 1 does, where an offset
    reads and drops every row before it. Rows without a due time come last, as PostgreSQL
    orders them, on SQLite too. Queries: the official's agencies, the page (the ids of the
    page, then its rows, for an official of several agencies), and one more on the page where
    the timed rows run out."""
    key = _queue_key(name)
    now = now or timezone.now()
    ids = _official_agency_ids(user)
    start = _read_after(after)
    if start is None or start[0] is not None:
        page = _timed_page(user, name, now, ids, key, start, size + 1)
        if len(page) <= size:  # the timed rows ran out: those without a due time follow
            untimed = _queue_rows(user, name, now, ids).filter(**{f"{key}__isnull": True})
            page += _load(untimed, key, size + 1 - len(page))
    else:
        untimed = _queue_rows(user, name, now, ids).filter(
            **{f"{key}__isnull": True}, pk__gt=start[1]
        )
        page = _load(untimed, key, size + 1)
    if len(page) <= size:
        return QueuePage(page, None)
    last = page[size - 1]
    moment = getattr(last, key)
    return QueuePage(page[:size], f"{moment.isoformat() if moment else ''}~{last.pk}")


def _timed_page(
    user: Any,
    name: str,
    now: datetime,
    ids: set[int],
    key: str,
    start: tuple[datetime | None, int] | None,
    limit: int,
) -> list[Dossier]:
    """The next `limit` rows with a due time, after `start`."""

    def after_start(rows: QuerySet[Dossier]) -> QuerySet[Dossier]:
        rows = rows.filter(**{f"{key}__isnull": False})
        if start is None:
            return rows
        # `key >= value` is what the index seeks to; the rest drops the rows already shown
        # that share the boundary's due time.
        value, pk = start
        return rows.filter(**{f"{key}__gte": value}).filter(
            models_q(**{f"{key}__gt": value}) | models_q(pk__gt=pk)
        )

    if name not in BY_AGENCY or len(ids) < 2 or not _can_merge():
        return _load(after_start(_queue_rows(user, name, now, ids)), key, limit)
    # Several agencies: `IN (...)` makes PostgreSQL read and sort every row of all of them
    # (46 ms for two agencies at 200,000 dossiers). Each agency's range read in order and
    # cut at `limit`, merged and cut again, reads at most `limit` rows per agency.
    parts = [
        after_start(_queue_rows(user, name, now, {agency}))
        .order_by(key, "pk")
        .values_list(key, "pk")[:limit]
        for agency in sorted(ids)
    ]
    merged = parts[0].union(*parts[1:], all=True).order_by(key, "pk")[:limit]
    order = [pk for _key, pk in merged]
    rows = {d.pk: d for d in _load(Dossier.objects.filter(pk__in=order), key, limit)}
    return [rows[pk] for pk in order if pk in rows]


def _can_merge() -> bool:
    from django.db import connection

    return bool(connection.features.supports_slicing_ordering_in_compound)


def _load(rows: QuerySet[Dossier], key: str, limit: int) -> list[Dossier]:
    ordered = rows.select_related(*QUEUE_RELATED).only(*QUEUE_ROW).order_by(key, "pk")
    return list(prepared(ordered)[:limit])


def _read_after(token: str) -> tuple[datetime | None, int] | None:
    """The (due time, id) a page token names; None for no token or one not ours."""
    moment, _sep, pk = (token or "").partition("~")
    if not pk.isascii() or not pk.isdigit():
        return None
    try:
        return (datetime.fromisoformat(moment) if moment else None), int(pk)
    except ValueError:
        return None


def models_q(**kwargs: Any) -> Any:
    from django.db.models import Q

    return Q(**kwargs)


def queue_counts(user: Any, now: datetime | None = None) -> dict[str, int]:
    """The counts shown in the menu, one query each."""
    return {name: queue(user, name, now).count() for name, _ in QUEUES}


def assignable(dossier: Dossier) -> QuerySet[Any]:
    """Officials who may be given the current step (the rule is in `permissions`)."""
    from tinhso.dossiers import permissions

    return permissions.assignable(dossier)
