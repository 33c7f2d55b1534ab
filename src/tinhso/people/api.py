"""/api/v1/people: the signed-in account."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from tinhso.people.models import User
from tinhso.people.queries import active_roles
from tinhso.people.security import signed_in

router = Router()


class RoleOut(Schema):
    role: str
    role_label: str
    agency_code: str
    agency_name: str
    title: str


class MeOut(Schema):
    username: str
    kind: str
    display_name: str
    roles: list[RoleOut]


@router.get("/me", response=MeOut, auth=signed_in, summary="The signed-in account and its roles")
def me(request: HttpRequest) -> MeOut:
    user: User = request.auth  # type: ignore[attr-defined]
    roles = [
        RoleOut(
            role=r.role,
            role_label=r.get_role_display(),
            agency_code=r.agency.code,
            agency_name=r.agency.name,
            title=r.title,
        )
        for r in active_roles(user)
    ]
    return MeOut(
        username=user.get_username(), kind=user.kind, display_name=user.display_name, roles=roles
    )
