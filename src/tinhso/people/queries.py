"""Reads: role checks, and the `access_*` helpers that load personal data only for those allowed.

Officials' reads of a citizen's personal data are written to the audit trail (Decree
13/2023/NĐ-CP): which fields, whose record, by whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.people.models import Citizen, Role, RoleAssignment, User
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


# Where an official's work is, by role, first match wins: the one-stop counter first (people
# are waiting there), then the documents work list, then the administration.
WORK_PAGES: tuple[tuple[str, str], ...] = (
    (Role.RECEIVING_OFFICER, "dossiers:office-home"),
    (Role.CLERK, "documents:my-work"),
    (Role.LEADER, "documents:my-work"),
    (Role.HEAD_OF_UNIT, "documents:my-work"),
    (Role.SPECIALIST, "documents:my-work"),
    (Role.ADMINISTRATOR, "admin:index"),
)


def work_page(user: Any) -> str:
    """The URL name of the page a signed-in person starts their work on.

    Citizens: their dossiers. Officials: from their roles (WORK_PAGES); an official with none
    of those roles handles field reports; a superuser without roles goes to the administration.
    """
    if getattr(user, "kind", "") != User.Kind.OFFICIAL:
        return "dossiers:mine"
    held = set(active_roles(user).values_list("role", flat=True))
    for role, page in WORK_PAGES:
        if role in held:
            return page
    if not held and (getattr(user, "is_superuser", False) or getattr(user, "is_staff", False)):
        return "admin:index"
    return "feedback:office-queue"


def masked_personal_id(number: str) -> str:
    """A personal ID number with all but its last four digits hidden: ********1234."""
    return "*" * max(0, len(number) - 4) + number[-4:] if number else ""


def masked_address(address: str) -> str:
    """A phone or e-mail shown on the code page: 091****678, an***@example.vn."""
    if "@" in address:
        name, _sep, domain = address.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{address[:3]}****{address[-3:]}" if len(address) > 6 else address


@dataclass(frozen=True)
class ContactDetails:
    """What a form may prefill for the signed-in person (field reports, dossiers)."""

    full_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


def contact_details(user: Any) -> ContactDetails:
    """The signed-in person's own name, phone, e-mail and address (empty for anonymous users).

    The account's address, else the address on their citizen record.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return ContactDetails()
    address = user.address
    if not address:
        citizen = Citizen.objects.filter(user=user).only("address").first()
        address = citizen.address if citizen is not None else ""
    return ContactDetails(
        full_name=user.display_name if user.full_name else "",
        phone=user.phone or "",
        email=user.email or "",
        address=address,
    )
