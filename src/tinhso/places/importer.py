"""Import of administrative units from the `vietnam-provinces` package, and the 63 old provinces.

Idempotent: rows are matched by code, created when missing and updated only when a value
changed, all in one transaction with one audit record (none when nothing changed). Bulk
statements keep the 3,321 communes to a few queries.
Rows the package no longer lists are left alone (agencies and people point at them).

Names are stored without the unit-type prefix ("Buôn Ma Thuột", not "Phường Buôn Ma
Thuột"): `vietnam-provinces` 2025.10.1 prefixes ward names and central-city names and
2026.x prefixes every name, so the prefix is removed whatever the version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from tinhso.core import audit
from tinhso.core.text import normalize, search_key
from tinhso.places.legacy import LEGACY_PROVINCES
from tinhso.places.models import Commune, DivisionType, LegacyProvince, Province

BATCH_SIZE = 500

# The package's division types (VietNamDivisionType values) and ours.
DIVISION_TYPES: dict[str, DivisionType] = {
    "tỉnh": DivisionType.PROVINCE,
    "thành phố trung ương": DivisionType.CENTRAL_CITY,
    "xã": DivisionType.COMMUNE,
    "phường": DivisionType.WARD,
    "đặc khu": DivisionType.SPECIAL_ZONE,
}

# Prefixes a source name may carry for each division type.
_PREFIXES: dict[DivisionType, tuple[str, ...]] = {
    DivisionType.PROVINCE: ("tỉnh ",),
    DivisionType.CENTRAL_CITY: ("thành phố ",),
    DivisionType.COMMUNE: ("xã ",),
    DivisionType.WARD: ("phường ",),
    DivisionType.SPECIAL_ZONE: ("đặc khu ",),
}


class SourceDataError(Exception):
    """The package gave something this importer does not know how to map."""


@dataclass(frozen=True)
class Counts:
    total: int
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.total - self.created - self.updated


@dataclass(frozen=True)
class ImportResult:
    provinces: Counts
    communes: Counts
    legacy_provinces: Counts

    @property
    def created(self) -> int:
        return self.provinces.created + self.communes.created + self.legacy_provinces.created

    @property
    def updated(self) -> int:
        return self.provinces.updated + self.communes.updated + self.legacy_provinces.updated

    @property
    def unchanged(self) -> int:
        return self.provinces.unchanged + self.communes.unchanged + self.legacy_provinces.unchanged

    def as_changes(self) -> dict[str, dict[str, int]]:
        parts = {
            "provinces": self.provinces,
            "communes": self.communes,
            "legacy_provinces": self.legacy_provinces,
        }
        return {
            "created": {name: c.created for name, c in parts.items()},
            "updated": {name: c.updated for name, c in parts.items()},
        }

    def summary(self) -> str:
        """'34 provinces, 3321 communes, 63 legacy provinces'."""
        return (
            f"{self.provinces.total} provinces, {self.communes.total} communes, "
            f"{self.legacy_provinces.total} legacy provinces"
        )


def division_type(source_value: Any) -> DivisionType:
    value = str(getattr(source_value, "value", source_value))
    try:
        return DIVISION_TYPES[value]
    except KeyError:
        raise SourceDataError(f"unknown division type {value!r} in vietnam-provinces") from None


def bare_name(name: str, kind: DivisionType) -> str:
    """The name without its unit-type prefix, white space collapsed."""
    text = normalize(name)
    lowered = text.lower()
    for prefix in _PREFIXES[kind]:
        if lowered.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :].strip()
    return text


def _upsert(
    model: type[models.Model], rows: Mapping[int, dict[str, Any]], fields: Sequence[str]
) -> Counts:
    """Create missing rows and update changed ones, matched by `code`."""
    manager = model._default_manager
    existing = {obj.code: obj for obj in manager.all()}  # type: ignore[attr-defined]
    to_create, to_update = [], []
    for code, values in rows.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(code=code, **values))
            continue
        changed = [name for name in fields if getattr(obj, name) != values[name]]
        for name in changed:
            setattr(obj, name, values[name])
        if changed:
            to_update.append(obj)
    manager.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        manager.bulk_update(to_update, fields, batch_size=BATCH_SIZE)
    return Counts(total=len(rows), created=len(to_create), updated=len(to_update))


def _province_rows(source: Iterable[Any]) -> dict[int, dict[str, Any]]:
    rows = {}
    for item in source:
        kind = division_type(item.division_type)
        name = bare_name(item.name, kind)
        rows[int(item.code)] = {
            "name": name,
            "division_type": kind.value,
            "codename": item.codename,
            "phone_code": int(item.phone_code) if item.phone_code else None,
            "search_key": search_key(name),
        }
    return rows


def _commune_rows(
    source: Iterable[Any], province_ids: Mapping[int, int]
) -> dict[int, dict[str, Any]]:
    rows = {}
    for item in source:
        kind = division_type(item.division_type)
        name = bare_name(item.name, kind)
        try:
            province_id = province_ids[int(item.province_code)]
        except KeyError:
            raise SourceDataError(
                f"commune {int(item.code)} belongs to unknown province {int(item.province_code)}"
            ) from None
        rows[int(item.code)] = {
            "name": name,
            "division_type": kind.value,
            "codename": item.codename,
            "province_id": province_id,
            "search_key": search_key(name),
        }
    return rows


def _legacy_rows(province_ids: Mapping[int, int]) -> dict[int, dict[str, Any]]:
    rows = {}
    for old_code, name, kind, new_code in LEGACY_PROVINCES:
        try:
            successor_id = province_ids[new_code]
        except KeyError:
            raise SourceDataError(
                f"legacy province {old_code} maps to province {new_code}, which was not imported"
            ) from None
        rows[old_code] = {"name": name, "division_type": kind, "successor_id": successor_id}
    return rows


def import_places() -> ImportResult:
    """Bring provinces, communes and the 63 legacy provinces up to date with the package."""
    from vietnam_provinces import Province as SourceProvince
    from vietnam_provinces import Ward as SourceWard

    province_rows = _province_rows(SourceProvince.iter_all())
    with transaction.atomic():
        provinces = _upsert(
            Province,
            province_rows,
            ["name", "division_type", "codename", "phone_code", "search_key"],
        )
        province_ids = dict(Province.objects.values_list("code", "id"))
        communes = _upsert(
            Commune,
            _commune_rows(SourceWard.iter_all(), province_ids),
            ["name", "division_type", "codename", "province_id", "search_key"],
        )
        legacy = _upsert(
            LegacyProvince, _legacy_rows(province_ids), ["name", "division_type", "successor_id"]
        )
        result = ImportResult(provinces=provinces, communes=communes, legacy_provinces=legacy)
        if result.created or result.updated:
            audit.record(
                "places.import",
                object_type="places",
                changes={"source": _source_version(), **result.as_changes()},
            )
    return result


def _source_version() -> str:
    import vietnam_provinces

    version = getattr(vietnam_provinces, "__version__", "?")
    data = getattr(vietnam_provinces, "__data_version__", "?")
    return f"vietnam-provinces {version} (data {data})"


def places_imported() -> bool:
    """True once the import has run (cheap: used before loading demo data)."""
    return Province.objects.exists() and LegacyProvince.objects.exists()
