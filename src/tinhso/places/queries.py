"""Reads of administrative units and agencies. All public data: no access checks needed."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, Q, QuerySet, Value, When

from tinhso.core.text import fold
from tinhso.places.codes import normalize_agency_code
from tinhso.places.legacy import legacy_province_codes as _legacy_codes
from tinhso.places.models import Agency, Commune, DivisionType, LegacyProvince, Province

SEARCH_LIMIT = 20
# Folded unit words a commune search may start with.
_UNIT_WORDS = {
    "xa": DivisionType.COMMUNE,
    "phuong": DivisionType.WARD,
    "dac khu": DivisionType.SPECIAL_ZONE,
}


def home_province_code() -> int:
    """The post-2025 code of the province this instance serves (settings.PROVINCE_CODE)."""
    return int(settings.PROVINCE_CODE)


def home_province_name() -> str:
    """The served province's name for page titles: "Đắk Lắk", "Thành phố Hà Nội".

    Read from the database once places are imported, from the package before that (an empty
    database still renders pages). One query per call.
    """
    try:
        code = home_province_code()
    except (TypeError, ValueError):
        return str(settings.PROVINCE_CODE)
    row = Province.objects.filter(code=code).values_list("name", "division_type").first()
    if row is not None:
        name, kind = row
        return f"Thành phố {name}" if kind == DivisionType.CENTRAL_CITY else name
    from vietnam_provinces import Province as Source

    try:
        return Source.from_code(code).name  # type: ignore[arg-type]
    except (ValueError, KeyError):
        return str(settings.PROVINCE_CODE)


def home_province() -> Province:
    """The served province; Province.DoesNotExist until places are imported."""
    return Province.objects.get(code=home_province_code())


def legacy_province_codes() -> frozenset[int]:
    """The 63 pre-2025 province codes. No database access (reads places/legacy.py)."""
    return _legacy_codes()


def resolve_legacy_province(old_code: int | str) -> Province:
    """The post-2025 province an old (pre-2025) province code now belongs to.

    `old_code` may be the three-digit prefix of a personal ID number ("066"). Raises
    LegacyProvince.DoesNotExist for a code that was never a province.
    """
    try:
        code = int(old_code)
    except (TypeError, ValueError):
        raise LegacyProvince.DoesNotExist(f"{old_code!r} is not a province code") from None
    return LegacyProvince.objects.select_related("successor").get(code=code).successor


def provinces() -> QuerySet[Province]:
    return Province.objects.order_by("code")


def communes_of(province: Province) -> QuerySet[Commune]:
    return Commune.objects.filter(province=province).select_related("province").order_by("code")


def search_communes(
    q: str, *, province_code: int | None = None, limit: int = SEARCH_LIMIT
) -> list[Commune]:
    """Communes whose name contains `q`, ignoring case and diacritics ("buon ma thuot").

    A leading unit word narrows the search: "xã hòa phú" finds the xã named Hòa Phú.
    Exact names come first, then names starting with `q`, then the rest; by code within each.
    """
    needle = fold(q)
    if not needle:
        return []
    match, names = Q(search_key__contains=needle), [needle]
    for word, kind in _UNIT_WORDS.items():
        rest = needle.removeprefix(f"{word} ")
        if rest != needle and rest:
            match |= Q(division_type=kind, search_key__contains=rest)
            names.append(rest)
    found = Commune.objects.filter(match).select_related("province")
    if province_code is not None:
        found = found.filter(province__code=province_code)
    closeness = Case(
        When(search_key__in=names, then=Value(0)),
        *(When(search_key__startswith=name, then=Value(1)) for name in names),
        default=Value(2),
    )
    return list(found.order_by(closeness, "province__code", "code")[:limit])


def agencies(*, parent: Agency | None = None, level: str | None = None) -> QuerySet[Agency]:
    """Active agencies, optionally the direct children of `parent` or of one level."""
    found = Agency.objects.filter(is_active=True).select_related("parent", "province", "commune")
    if parent is not None:
        found = found.filter(parent=parent)
    if level:
        found = found.filter(level=level)
    return found.order_by("code")


def agency_by_code(code: str) -> Agency:
    """Agency.DoesNotExist if there is none (inactive agencies are found too)."""
    return Agency.objects.select_related("parent", "province", "commune").get(
        code=normalize_agency_code(code)
    )
