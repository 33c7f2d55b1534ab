"""Decision 766 indicators of digitisation and reuse (group 4, số hóa), per agency and period.

Legal source: Decision 766/QĐ-TTg (23/6/2022), the digitisation group as issue 14 names it
(results issued electronically, dossiers digitised, digitised data reused). The published
formulas were not read article by article [UNCONFIRMED]; what is counted here is decided
in docs/datastore.md ("Indicators"):

- `results_electronic`: dossiers whose result was returned (`finished_at`, state returned)
  in the period ÷ of those, the ones with an electronic result (a `DossierResult` file);
- `dossiers_digitised`: dossiers handed in on paper (counter, post) submitted in the period
  ÷ of those, the ones with at least one component file digitised (`DuocSoHoa`); an online
  dossier is born digital and is not counted;
- `components_reused`: component files of dossiers submitted in the period ÷ of those, the
  ones taken from the citizen's store or an earlier result (`DuocTaiSuDung`).

Each is counted against the dossier's competent agency. A zero denominator is "no data"
(`rate` None), never 0%. Three grouped queries (and the agencies' names) whatever the
number of agencies or dossiers;
`Indicator` and `rate` are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from tinhso.core.periods import Period

RESULTS = "results_electronic"
DIGITISED = "dossiers_digitised"
REUSED = "components_reused"
LABELS = {
    RESULTS: "Tỷ lệ hồ sơ trả kết quả điện tử",
    DIGITISED: "Tỷ lệ hồ sơ giấy có thành phần được số hóa",
    REUSED: "Tỷ lệ thành phần hồ sơ được tái sử dụng",
}
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Indicator:
    code: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> Decimal | None:
        """Percent, two decimals rounded half up; None when there is nothing to measure."""
        if self.denominator == 0:
            return None
        return (Decimal(100 * self.numerator) / Decimal(self.denominator)).quantize(
            _CENT, rounding=ROUND_HALF_UP
        )

    def as_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "code": self.code,
            "label": LABELS[self.code],
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": str(rate) if rate is not None else None,
        }


@dataclass
class AgencyIndicators:
    agency: str  # the agency's code; "" for the province as a whole
    name: str
    indicators: dict[str, Indicator] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "name": self.name,
            "indicators": [self.indicators[c].as_dict() for c in (RESULTS, DIGITISED, REUSED)],
        }


def _counts(rows: Any) -> dict[int, tuple[int, int]]:
    return {r["agency_id"]: (r["yes"], r["all"]) for r in rows}


def compute(period: Period, *, agency: Any = None) -> list[AgencyIndicators]:
    """The three indicators for `agency`, or for every agency with dossiers in the period and
        the province as a whole (last, `agency` ""). Three queries for one agency, four for all
    (the agencies' names)."""
    from tinhso.dossiers.models import Dossier, DossierFile
    from tinhso.places.models import Agency

    start, end = period.bounds(timezone.get_current_timezone())
    scope = Q(agency_id=agency.pk) if agency is not None else Q()
    results = _counts(
        Dossier.objects.filter(
            scope, state=Dossier.State.RETURNED, finished_at__gte=start, finished_at__lt=end
        )
        .values("agency_id")
        .annotate(all=Count("pk", distinct=True), yes=Count("results__dossier_id", distinct=True))
        .order_by()
    )
    digitised = _counts(
        Dossier.objects.filter(
            scope,
            channel__in=(Dossier.Channel.COUNTER, Dossier.Channel.POST),
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .values("agency_id")
        .annotate(
            all=Count("pk", distinct=True),
            yes=Count(
                "files__dossier_id",
                filter=Q(files__digitised=True, files__slot="component"),
                distinct=True,
            ),
        )
        .order_by()
    )
    file_scope = Q(dossier__agency_id=agency.pk) if agency is not None else Q()
    reused = {
        r["dossier__agency_id"]: (r["yes"], r["all"])
        for r in DossierFile.objects.filter(
            file_scope,
            slot=DossierFile.Slot.COMPONENT,
            dossier__submitted_at__gte=start,
            dossier__submitted_at__lt=end,
        )
        .values("dossier__agency_id")
        .annotate(all=Count("pk"), yes=Count("pk", filter=Q(reused=True)))
        .order_by()
    }
    ids = set(results) | set(digitised) | set(reused)
    if agency is not None:
        ids = {agency.pk}
    names = {a.pk: a for a in Agency.objects.filter(pk__in=ids)} if agency is None else {}
    rows = []
    for pk in sorted(ids, key=lambda i: (names.get(i) or agency).code):
        holder = names.get(pk) or agency
        rows.append(_row(holder.code, holder.name, results, digitised, reused, [pk]))
    if agency is None:
        rows.append(_row("", "Toàn tỉnh", results, digitised, reused, sorted(ids)))
    return rows


def _row(
    code: str,
    name: str,
    results: dict[int, tuple[int, int]],
    digitised: dict[int, tuple[int, int]],
    reused: dict[int, tuple[int, int]],
    ids: list[int],
) -> AgencyIndicators:
    def total(counts: dict[int, tuple[int, int]]) -> tuple[int, int]:
        return (
            sum(counts.get(i, (0, 0))[0] for i in ids),
            sum(counts.get(i, (0, 0))[1] for i in ids),
        )

    return AgencyIndicators(
        code,
        name,
        {
            RESULTS: Indicator(RESULTS, *total(results)),
            DIGITISED: Indicator(DIGITISED, *total(digitised)),
            REUSED: Indicator(REUSED, *total(reused)),
        },
    )
