"""State changes of agencies (cơ quan, đơn vị). Each is one transaction with its audit record.

Agencies are never deleted: roles, dossiers and documents keep pointing at them. An agency that
stops existing (merged, dissolved) is deactivated.

Invalid input raises `errors.PlacesError` (a declared code; a Django ValidationError too) with
Vietnamese messages per field; the model's own checks (`full_clean`) raise ValidationError.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.catalogue import generation
from tinhso.core import audit
from tinhso.core.errors import ALL
from tinhso.core.text import normalize
from tinhso.places import errors
from tinhso.places.codes import normalize_agency_code
from tinhso.places.errors import PlacesError
from tinhso.places.models import Agency, Commune, Province

EDITABLE_FIELDS = frozenset(
    {"code", "name", "short_name", "level", "parent", "province", "commune"}
)


def agency_state(agency: Agency) -> dict[str, Any]:
    """What the audit trail records of an agency: related rows by their public codes."""
    return {
        "code": agency.code,
        "name": agency.name,
        "short_name": agency.short_name,
        "level": agency.level,
        "parent": agency.parent.code if agency.parent is not None else None,
        "province": agency.province.code if agency.province_id else None,
        "commune": agency.commune.code if agency.commune is not None else None,
        "is_active": agency.is_active,
    }


def _clean_value(name: str, value: Any) -> Any:
    if name == "code":
        return normalize_agency_code(value or "")
    if name in {"name", "short_name"}:
        return normalize(value)
    return value


def _check_parent_active(parent: Agency | None) -> None:
    if parent is not None and not parent.is_active:
        raise PlacesError(errors.PARENT_INACTIVE, {"parent": errors.PARENT_INACTIVE.message})


def create_agency(
    *,
    code: str,
    name: str,
    short_name: str,
    level: str,
    actor: Any,
    province: Province | None = None,
    parent: Agency | None = None,
    commune: Commune | None = None,
) -> Agency:
    """Add an agency to the tree. The province defaults to the parent's or the commune's."""
    if province is None:
        province = parent.province if parent else commune.province if commune else None
    if province is None:
        raise PlacesError(errors.PROVINCE_MISSING, {"province": errors.PROVINCE_MISSING.message})
    _check_parent_active(parent)
    agency = Agency(
        code=_clean_value("code", code),
        name=_clean_value("name", name),
        short_name=_clean_value("short_name", short_name),
        level=level,
        province=province,
        parent=parent,
        commune=commune,
    )
    with transaction.atomic():
        agency.full_clean()
        agency.save(force_insert=True)
        audit.record(
            "agency.create", agency, changes=audit.diff({}, agency_state(agency)), actor=actor
        )
    return agency


def update_agency(agency: Agency, *, actor: Any, **fields: Any) -> Agency:
    """Change some of code, name, short_name, level, parent, province, commune.

    The values before the change are read from the database (the instance passed in may
    already carry the new values, as admin forms leave it). Returns the saved agency and
    refreshes `agency` to match. Nothing is written if no value changes.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_agency() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = Agency.objects.select_for_update().get(pk=agency.pk)
        before, parent_id = agency_state(current), current.parent_id
        for name, value in fields.items():
            setattr(current, name, _clean_value(name, value))
        if current.parent_id != parent_id:
            _check_parent_active(current.parent)
        current.full_clean()
        changes = audit.diff(before, agency_state(current))
        if changes:
            current.save()
            audit.record("agency.update", current, changes=changes, actor=actor)
            if {"code", "name"} & set(changes):
                generation.bump()  # a procedure's cached detail shows its agency
    agency.refresh_from_db()
    return current


def _set_active(agency: Agency, active: bool, *, actor: Any) -> Agency:
    with transaction.atomic():
        current = Agency.objects.select_for_update().get(pk=agency.pk)
        if current.is_active == active:
            return current
        if not active:
            busy = current.children.filter(is_active=True).count()
            if busy:
                raise PlacesError(
                    errors.CHILDREN_ACTIVE,
                    {
                        ALL: _(
                            "Còn %(count)s đơn vị trực thuộc đang hoạt động: "
                            "cần ngừng hoạt động các đơn vị đó trước."
                        )
                        % {"count": busy}
                    },
                )
        else:
            _check_parent_active(current.parent)
        before = agency_state(current)
        current.is_active = active
        current.save(update_fields=["is_active", "updated_at"])
        action = "agency.reactivate" if active else "agency.deactivate"
        audit.record(
            action, current, changes=audit.diff(before, agency_state(current)), actor=actor
        )
    agency.refresh_from_db()
    return current


def deactivate_agency(agency: Agency, *, actor: Any) -> Agency:
    """Ngừng hoạt động: the agency stays for old records but leaves lists and menus.

    Refused while units under it are still active. Deactivating an inactive agency does
    nothing.
    """
    return _set_active(agency, False, actor=actor)


def reactivate_agency(agency: Agency, *, actor: Any) -> Agency:
    """Undo a deactivation. Refused while the parent is inactive."""
    return _set_active(agency, True, actor=actor)
