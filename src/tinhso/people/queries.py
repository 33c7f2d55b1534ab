"""Reads: role checks, and the `access_*` helpers that load personal data only for those allowed.

Officials' reads of a citizen's personal data are written to the audit trail (Decree
13/2023/NĐ-CP): which fields, whose record, by whom.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.people.models import Citizen, RoleAssignment, User
from tinhso.places.models import Agency

CITIZEN_PERSONAL_FIELDS = (
    "personal_id",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
)


class AccessDenied(PermissionDenied):
    """The user may not see this object. The message is shown to them, in Vietnamese."""

    def __init__(self, message: str = "") -> None:
        message = message or _("Bạn không có quyền xem thông tin này.")
        super().__init__(message)
        self.message = message


def _is_official(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.kind == User.Kind.OFFICIAL
    )


def active_roles(user: Any) -> QuerySet[RoleAssignment]:
    """The user's roles in active agencies, agency loaded, in a stable order."""
    if not _is_official(user):
        return RoleAssignment.objects.none()
    return (
        RoleAssignment.objects.filter(user=user, agency__is_active=True)
        .select_related("agency")
        .order_by("agency__code", "role")
    )


def has_role(user: Any, role: str, agency: Agency | None = None) -> bool:
    """Does `user` hold `role` (in `agency`, or in any agency when none is given)?"""
    roles = active_roles(user).filter(role=role)
    if agency is not None:
        roles = roles.filter(agency=agency)
    return roles.exists()


def agencies_where(user: Any, role: str) -> QuerySet[Agency]:
    """The active agencies in which `user` holds `role`."""
    if not _is_official(user):
        return Agency.objects.none()
    return Agency.objects.filter(roles__user=user, roles__role=role, is_active=True).order_by(
        "code"
    )


def access_citizen(
    official: Any, citizen_id: int, *, fields: tuple[str, ...] = CITIZEN_PERSONAL_FIELDS
) -> Citizen:
    """Load a citizen's record for an official holding a role; audit the read of `fields`.

    Raises AccessDenied for anyone else (before looking the citizen up, so the answer does
    not tell whether the record exists) and Http404 when there is no such citizen.
    """
    if not active_roles(official).exists():
        raise AccessDenied()
    citizen = Citizen.objects.filter(pk=citizen_id).first()
    if citizen is None:
        raise Http404(_("Không tìm thấy công dân."))
    audit.record_read(citizen, fields, actor=official)
    return citizen
