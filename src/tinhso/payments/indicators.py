"""Decision 766 indicators of online payment (group TTTT, Thanh toán trực tuyến): the rules.

Legal source: Decision 766/QĐ-TTg (23/6/2022), indicators 3.5 and 3.6 as the published
description of the formulas gives them (docs/payments.md, "Indicators"):

- 3.5 `procedures`: fee-bearing procedures integrated with online payment ÷ fee-bearing
  procedures the agency offers (full marks at 80% or more);
- 3.6 `dossiers`: dossiers paid online (`DuocThanhToanTrucTuyen` 1 or 2) ÷ dossiers of
  fee-bearing procedures received in the period.

Pure: no database, no clock. The reads that feed these rules are `queries.payment_indicators`.
A zero denominator is "no data" (`rate` None), never 0%: an agency with no fee-bearing
procedure has not failed at online payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tinhso.payments import fees

PROCEDURES = "3.5"  # thủ tục có phí, lệ phí được tích hợp thanh toán trực tuyến
DOSSIERS = "3.6"  # hồ sơ được thanh toán trực tuyến
THRESHOLD = {PROCEDURES: Decimal(80), DOSSIERS: None}  # full marks at or above (3.6: none given)
CHARGED_ONLINE = ("submission", "before_result")  # due points a citizen can pay online
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Indicator:
    code: str  # "3.5" or "3.6"
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

    @property
    def meets_threshold(self) -> bool | None:
        threshold = THRESHOLD.get(self.code)
        rate = self.rate
        if threshold is None or rate is None:
            return None
        return rate >= threshold

    def __add__(self, other: Indicator) -> Indicator:
        if other.code != self.code:
            raise ValueError(f"cannot add indicator {other.code} to {self.code}")
        return indicator(
            self.code, self.numerator + other.numerator, self.denominator + other.denominator
        )

    def as_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": None if rate is None else float(rate),
        }


def indicator(code: str, numerator: int, denominator: int) -> Indicator:
    """The indicator `code` from its counts (0 ≤ numerator ≤ denominator)."""
    if code not in THRESHOLD:
        raise ValueError(f"unknown indicator {code!r}")
    if not 0 <= numerator <= denominator:
        raise ValueError(f"{code}: {numerator} of {denominator} is not a share")
    return Indicator(code, numerator, denominator)


def procedures_indicator(offered: Iterable[tuple[Any, bool]]) -> Indicator:
    """3.5 from (fee table, accepts online) of each procedure the unit offers."""
    denominator = numerator = 0
    for fee_table, accepts_online in offered:
        if is_fee_bearing(fee_table):
            denominator += 1
            numerator += offers_online_payment(fee_table, accepts_online)
    return indicator(PROCEDURES, numerator, denominator)


def dossiers_indicator(received: Iterable[tuple[Any, int, int]]) -> Indicator:
    """3.6 from (fee table, dossiers received, of which paid online) per procedure version."""
    denominator = numerator = 0
    for fee_table, count, paid_online in received:
        if is_fee_bearing(fee_table):
            denominator += count
            numerator += paid_online
    return indicator(DOSSIERS, numerator, denominator)


def _rules(fee_table: Any) -> list[fees.FeeRule] | None:
    try:
        return fees.parse(fee_table)
    except fees.FeeError:
        return None


def _priced(rule: fees.FeeRule) -> bool:
    return rule.amount > 0 or any(amount > 0 for _, amount in rule.by_amounts)


def is_fee_bearing(fee_table: Any) -> bool:
    """Whether a procedure version charges anything (thủ tục có thu phí, lệ phí): a line of a
    non-zero amount, whatever its due point or channel, even if some payers are exempt.

    A table that does not parse (the catalogue should have refused it) counts as fee-bearing
    when one of its lines names a positive whole amount: it is charged, just not online."""
    rules = _rules(fee_table)
    if rules is not None:
        return any(_priced(rule) for rule in rules)
    lines = fee_table if isinstance(fee_table, list) else []
    return any(
        isinstance(line, dict)
        and isinstance(line.get("amount"), int)
        and not isinstance(line.get("amount"), bool)
        and line["amount"] > 0
        for line in lines
    )


def offers_online_payment(fee_table: Any, accepts_online: bool) -> bool:
    """Whether a fee-bearing procedure version is integrated with online payment: it takes
    dossiers online and one of its priced lines is charged online (due at submission or
    before the result, offered to the online channel). A line due "none" is paid at the
    counter; a table that does not parse cannot be charged at all."""
    if not accepts_online:
        return False
    rules = _rules(fee_table) or []
    return any(
        _priced(rule) and rule.due in CHARGED_ONLINE and "online" in rule.channels for rule in rules
    )
