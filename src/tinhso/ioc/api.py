"""/api/v1/ioc/index: the Decision 766 index of a unit and period, for the operations centre.

Legal source: Decision 766/QĐ-TTg (23/6/2022); the rules are `index766`, the counts
`queries.unit_index`, documented in docs/ioc.md.

    GET /api/v1/ioc/index?unit=66&period=2026-11        a province (GSO code)
    GET /api/v1/ioc/index?unit=000.00.03.H66&period=2026-Q4   an agency
    GET /api/v1/ioc/index?unit=24700&period=2026        a commune (GSO code)

Who may read: a client application holding the `ioc.read` scope (`Authorization: Bearer` or
`X-API-Key`), any unit; an official signed in with the IOC viewer's or a leader's role, the
units their roles reach (`queries.may_see_unit`): another unit is 404, no such role 403. A
unit or period that cannot be read is 422 with one entry per field (`query.unit`,
`query.period`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError, ValidationError

from tinhso.core import periods
from tinhso.dossiers.api import ClientBearer, ClientKey
from tinhso.ioc import queries
from tinhso.people.models import ApiClient, ApiScope
from tinhso.people.security import signed_in

router = Router()

readers = [ClientBearer(ApiScope.IOC_READ), ClientKey(ApiScope.IOC_READ), signed_in]


class IndicatorOut(Schema):
    code: str
    numerator: int | None
    denominator: int | None
    rate: float | None
    unit: str  # percent | working_days
    threshold: float
    points: float | None
    maximum: float
    available: bool
    reason: str


class GroupOut(Schema):
    key: str
    name: str
    points: float
    scored_maximum: float
    maximum: int
    indicators: list[IndicatorOut]


class UnitOut(Schema):
    kind: str
    code: str
    name: str


class IndexOut(Schema):
    unit: UnitOut
    period: str
    points: float
    scored_maximum: float
    maximum: int
    groups: list[GroupOut]


@router.get(
    "/ioc/index",
    auth=readers,
    response=IndexOut,
    summary="Decision 766 index of a province, agency or commune for a month, quarter or year",
)
def index(request: HttpRequest, unit: str, period: str) -> dict[str, Any]:
    caller = request.auth  # type: ignore[attr-defined]
    # Who may use the index is settled before the unit is looked up: otherwise a 422 "no unit
    # X" against a 404 would let any signed-in person probe which codes exist.
    if not isinstance(caller, ApiClient) and not queries.may_use_ioc(caller):
        raise HttpError(403, _("Cần vai trò xem trung tâm điều hành hoặc lãnh đạo."))
    problems = []
    try:
        when = periods.parse(period)
    except periods.PeriodError as exc:
        problems.append({"loc": ["query", "period"], "msg": exc.message, "type": exc.code})
    try:
        where = queries.resolve_unit(unit)
    except queries.UnitNotFound:
        problems.append(
            {
                "loc": ["query", "unit"],
                "msg": _("Không có tỉnh, cơ quan hoặc xã, phường nào mang mã %(code)s.")
                % {"code": unit},
                "type": "ioc.unit_unknown",
            }
        )
    if problems:
        raise ValidationError(problems)
    if not isinstance(caller, ApiClient) and not queries.may_see_unit(caller, where):
        raise HttpError(404, _("Không tìm thấy đơn vị trong phạm vi được xem."))
    return queries.unit_index(where, when).as_dict()
