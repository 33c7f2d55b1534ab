"""Public, read-only API of administrative units and agencies, mounted at /api/v1/places.

An unknown code is a `places.*_not_found` error, answered by the API's one handler (404)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tinhso.core.errors import DomainError
from tinhso.places import errors, queries
from tinhso.places.models import Agency, Commune, LegacyProvince, Province

router = Router()


class PlacesMessage(Schema):
    """A refusal (tinhso.core.errors): its stable code and the Vietnamese message."""

    code: str
    message: str
    detail: str


class ProvinceOut(Schema):
    code: int
    name: str
    division_type: str


class CommuneOut(Schema):
    code: int
    name: str
    division_type: str
    province_code: int

    @staticmethod
    def resolve_province_code(obj: Commune) -> int:
        return obj.province.code


class LegacyProvinceOut(Schema):
    code: int
    name: str
    division_type: str
    successor: ProvinceOut


class AgencyOut(Schema):
    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None
    province_code: int
    commune_code: int | None
    is_active: bool

    @staticmethod
    def resolve_parent_code(obj: Agency) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_province_code(obj: Agency) -> int:
        return obj.province.code

    @staticmethod
    def resolve_commune_code(obj: Agency) -> int | None:
        return obj.commune.code if obj.commune is not None else None


class CommuneSearch(Schema):
    q: str = Field(..., min_length=1, max_length=100, description="Tên, có dấu hoặc không dấu.")
    province: int | None = Field(None, description="Chỉ tìm trong tỉnh, thành phố có mã này.")


class AgencyFilter(Schema):
    parent: str | None = Field(None, description="Mã định danh của cơ quan cấp trên.")
    level: Agency.Level | None = None


def _no_province(code: int) -> DomainError:
    return errors.PROVINCE_NOT_FOUND(_("Không có tỉnh, thành phố mã %(code)s.") % {"code": code})


def _no_agency(code: str) -> DomainError:
    return errors.AGENCY_NOT_FOUND(
        _("Không có cơ quan, đơn vị mã định danh %(code)s.") % {"code": code}
    )


@router.get("/provinces", response=list[ProvinceOut], summary="Tỉnh, thành phố (34)")
def list_provinces(request: HttpRequest) -> object:
    return queries.provinces()


@router.get(
    "/provinces/{code}/communes",
    response={200: list[CommuneOut], 404: PlacesMessage},
    summary="Xã, phường, đặc khu của một tỉnh, thành phố",
)
def list_communes_of_province(request: HttpRequest, code: int) -> object:
    try:
        province = Province.objects.get(code=code)
    except Province.DoesNotExist:
        raise _no_province(code) from None
    return queries.communes_of(province)


@router.get(
    "/communes",
    response=list[CommuneOut],
    summary="Tìm xã, phường, đặc khu theo tên (không phân biệt dấu)",
)
def search_communes(request: HttpRequest, filters: Query[CommuneSearch]) -> object:
    return queries.search_communes(filters.q, province_code=filters.province)


@router.get(
    "/legacy-provinces/{code}",
    response={200: LegacyProvinceOut, 404: PlacesMessage},
    summary="Tỉnh cũ (trước 1/7/2025) và tỉnh, thành phố hiện nay",
)
def get_legacy_province(request: HttpRequest, code: int) -> object:
    try:
        return LegacyProvince.objects.select_related("successor").get(code=code)
    except LegacyProvince.DoesNotExist:
        raise errors.LEGACY_PROVINCE_NOT_FOUND(
            _("Không có tỉnh cũ (trước 1/7/2025) mã %(code)s.") % {"code": code}
        ) from None


@router.get(
    "/agencies",
    response={200: list[AgencyOut], 404: PlacesMessage},
    summary="Cơ quan, đơn vị đang hoạt động",
)
def list_agencies(request: HttpRequest, filters: Query[AgencyFilter]) -> object:
    parent = None
    if filters.parent:
        try:
            parent = queries.agency_by_code(filters.parent)
        except Agency.DoesNotExist:
            raise _no_agency(filters.parent) from None
    return queries.agencies(parent=parent, level=filters.level)


@router.get(
    "/agencies/{code}",
    response={200: AgencyOut, 404: PlacesMessage},
    summary="Một cơ quan, đơn vị theo mã định danh",
)
def get_agency(request: HttpRequest, code: str) -> object:
    try:
        return queries.agency_by_code(code)
    except Agency.DoesNotExist:
        raise _no_agency(code) from None
