"""Reads of the payment ledger that hold personal data, loaded only for who may see them.

Legal source: Decree 13/2023/NĐ-CP (personal data: a receipt names its payer). A receipt is
the dossier owner's, and an official's who sees the dossier (an official's read is recorded
in the audit trail); for anyone else it does not exist (404, never 403).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core import audit
from tinhso.core.periods import Period
from tinhso.dossiers import permissions as dossier_rules
from tinhso.dossiers.models import Dossier
from tinhso.payments import indicators
from tinhso.payments.models import Attempt, Receipt
from tinhso.places.models import Agency


def access_receipt(user: Any, pk: int) -> Receipt:
    receipt = (
        Receipt.objects.select_related("charge__dossier__agency", "attempt").filter(pk=pk).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if receipt is not None:
        dossier = receipt.charge.dossier
        if dossier.owner_id == user.pk:
            return receipt
        if dossier_rules.sees(user, dossier):
            audit.record_read(receipt, ["payer_name", "amount"], actor=user)
            return receipt
    raise Http404(_("Không tìm thấy biên lai."))


def payment_state(dossier: Any) -> str:
    """What an officer's page or queue shows about a dossier's fees: "none" (nothing
    charged), "unpaid", "pending" (an online attempt under way), "paid", "refund_case" (money
    to give back, not yet given) or "refunded"."""
    from tinhso.payments.models import Attempt, Charge, Refund

    charges = list(Charge.objects.filter(dossier=dossier))
    if not charges:
        return "none"
    refunds = Refund.objects.filter(attempt__charge__dossier=dossier)
    open_states = (Refund.State.REQUESTED, Refund.State.SUBMITTING, Refund.State.SUBMITTED)
    if refunds.filter(state__in=open_states).exists():
        return "refund_case"
    if any(c.state == Charge.State.OPEN for c in charges):
        pending = Attempt.objects.filter(
            charge__in=charges, state__in=(Attempt.State.CREATED, Attempt.State.PENDING)
        )
        return "pending" if pending.exists() else "unpaid"
    if refunds.filter(state=Refund.State.REFUNDED).exists():
        return "refunded"
    return "paid"


def payment_states(dossiers: Iterable[Any]) -> dict[int, str]:
    """`payment_state` of many dossiers in one query, for a list page: {dossier id: state};
    a dossier with no charge is not in it ("none"). The same rule, per dossier, over one row
    per charge that says whether the charge has an online attempt under way, a refund open
    and a refund made."""
    from tinhso.payments.models import Charge, Refund

    ids = [d.pk for d in dossiers]
    if not ids:
        return {}
    open_states = (Refund.State.REQUESTED, Refund.State.SUBMITTING, Refund.State.SUBMITTED)
    refunds = Refund.objects.filter(attempt__charge=OuterRef("pk"))
    rows = (
        Charge.objects.filter(dossier_id__in=ids)
        .annotate(
            under_way=Exists(
                Attempt.objects.filter(
                    charge=OuterRef("pk"),
                    state__in=(Attempt.State.CREATED, Attempt.State.PENDING),
                )
            ),
            refund_open=Exists(refunds.filter(state__in=open_states)),
            refunded=Exists(refunds.filter(state=Refund.State.REFUNDED)),
        )
        .values_list("dossier_id", "state", "under_way", "refund_open", "refunded")
    )
    per: dict[int, list[tuple[str, bool, bool, bool]]] = {}
    for dossier_id, state, under_way, refund_open, refunded in rows:
        per.setdefault(dossier_id, []).append((state, under_way, refund_open, refunded))
    states = {}
    for dossier_id, charges in per.items():
        if any(c[2] for c in charges):
            states[dossier_id] = "refund_case"
        elif any(c[0] == Charge.State.OPEN for c in charges):
            states[dossier_id] = "pending" if any(c[1] for c in charges) else "unpaid"
        elif any(c[3] for c in charges):
            states[dossier_id] = "refunded"
        else:
            states[dossier_id] = "paid"
    return states


def result_waits_for_payment(dossier: Any) -> bool:
    """Whether the result must be held back: a charge due before the result is still open
    (Decree 45/2020 art. 9: the fee is paid before the result is handed over)."""
    from tinhso.payments.models import Charge, Due

    return Charge.objects.filter(
        dossier=dossier, due=Due.BEFORE_RESULT, state=Charge.State.OPEN
    ).exists()


def charge_of(dossier: Any, pk: int) -> Any:
    """The dossier's charge `pk`, or None: a charge is reached only through a dossier the
    caller has already loaded with its access helper (a charge of another dossier is none)."""
    from tinhso.payments.models import Charge

    return Charge.objects.filter(pk=pk, dossier=dossier).first()


# --- Decision 766 indicators (group TTTT) ------------------------------------------------------

ONLINE_GATEWAYS = ("vnpay", "paygov")  # DuocThanhToanTrucTuyen 1 or 2; not the counter


@dataclass(frozen=True)
class UnitIndicators:
    """Indicators 3.5 and 3.6 of one agency, or of the province as a whole (code "")."""

    code: str
    name: str
    procedures: indicators.Indicator  # 3.5
    dossiers: indicators.Indicator  # 3.6

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.code or "province",
            "name": self.name,
            "indicators": {
                indicators.PROCEDURES: self.procedures.as_dict(),
                indicators.DOSSIERS: self.dossiers.as_dict(),
            },
        }


@dataclass(frozen=True)
class IndicatorReport:
    period: Period
    total: UnitIndicators  # the agency asked for, or the province as a whole
    agencies: list[UnitIndicators]  # each agency in scope, by code

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            **self.total.as_dict(),
            "agencies": [row.as_dict() for row in self.agencies],
        }


def payment_indicators(period: Period, *, agency: Agency | None = None) -> IndicatorReport:
    """Indicators 3.5 and 3.6 in `period` for `agency`, or for every active agency and the
    province as a whole: four queries (three for one agency) whatever the number of agencies,
    procedures and dossiers.

    A procedure is offered by its competent agency, or, when it names none (the citizen
    chooses), by every agency at one of its levels (catalogue levels and agency levels share
    the names province, department, commune). 3.5 reads each procedure's version in force at
    the period's end (the last published by then); 3.6 counts dossiers received
    (`received_at`, local time) in the period by their competent agency, paid online if one of
    their charges has a paid VNPay or PayGov attempt, whenever it was paid."""
    start, end = period.bounds(timezone.get_current_timezone())
    if agency is not None:
        scope = [agency]
        offered_here = Q(procedure__agency_id=agency.pk) | Q(procedure__agency__isnull=True)
        received_here = Q(agency_id=agency.pk)
    else:  # no list of thousands of agency ids in the statements
        scope = list(Agency.objects.filter(is_active=True).order_by("code"))
        offered_here = Q()
        received_here = Q(agency__is_active=True)

    versions = (
        ProcedureVersion.objects.filter(
            offered_here,
            state__in=(ProcedureVersion.State.PUBLISHED, ProcedureVersion.State.SUPERSEDED),
            published_at__lt=end,
            procedure__is_active=True,
        )
        .order_by("procedure_id", "-published_at", "-number")
        .values_list(
            "procedure_id",
            "procedure__agency_id",
            "procedure__levels",
            "fees",
            "online_type",
            "channels",
        )
    )
    in_force: dict[int, tuple[Any, bool]] = {}  # procedure: (fee table, accepts online)
    own: dict[int, list[int]] = defaultdict(list)  # agency: its procedures
    shared: dict[str, list[int]] = defaultdict(list)  # level: procedures naming no agency
    for procedure_id, agency_id, levels, fee_table, online_type, channels in versions:
        if procedure_id in in_force:
            continue  # an older version: the newest comes first
        online = ProcedureVersion(online_type=online_type, channels=channels).accepts_online()
        in_force[procedure_id] = (fee_table, online)
        if agency_id is not None:
            own[agency_id].append(procedure_id)
        elif isinstance(levels, list):
            for level in {str(level) for level in levels}:
                shared[level].append(procedure_id)

    paid_online = Attempt.objects.filter(
        charge__dossier=OuterRef("pk"), state=Attempt.State.PAID, gateway__in=ONLINE_GATEWAYS
    )
    received = (
        Dossier.objects.filter(received_here, received_at__gte=start, received_at__lt=end)
        .values("agency_id", "version_id")
        .annotate(count=Count("pk"), online=Count("pk", filter=Q(Exists(paid_online))))
        .order_by()
    )
    by_agency: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for row in received:
        by_agency[row["agency_id"]].append((row["version_id"], row["count"], row["online"]))
    version_ids = {version_id for rows in by_agency.values() for version_id, _, _ in rows}
    fee_tables = dict(ProcedureVersion.objects.filter(pk__in=version_ids).values_list("pk", "fees"))

    units = []
    offered_anywhere: set[int] = set()
    for unit in scope:
        offered = own.get(unit.pk, []) + shared.get(unit.level, [])
        offered_anywhere.update(offered)
        units.append(
            UnitIndicators(
                code=unit.code,
                name=unit.name,
                procedures=indicators.procedures_indicator(in_force[p] for p in offered),
                dossiers=indicators.dossiers_indicator(
                    (fee_tables[version_id], count, online)
                    for version_id, count, online in by_agency.get(unit.pk, [])
                ),
            )
        )
    if agency is not None:
        return IndicatorReport(period, units[0], units)
    total = UnitIndicators(
        code="",
        name=_("Toàn tỉnh"),
        procedures=indicators.procedures_indicator(in_force[p] for p in offered_anywhere),
        dossiers=sum(
            (unit.dossiers for unit in units), indicators.indicator(indicators.DOSSIERS, 0, 0)
        ),
    )
    return IndicatorReport(period, total, units)
