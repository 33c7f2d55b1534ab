"""Reads of the catalogue. Procedures are public information (Decree 63/2010/NĐ-CP Art. 13:
procedures are published), so published versions need no access check; drafts are shown
only to catalogue administrators.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tinhso.catalogue import search as _search
from tinhso.catalogue.models import Field, Procedure, ProcedureVersion
from tinhso.places.models import Agency

SearchPage = _search.SearchPage
ListedProcedure = _search.ListedProcedure


def published_version(code: str) -> ProcedureVersion:
    """The version of procedure `code` that is published now.

    Raises ProcedureVersion.DoesNotExist when the procedure is unknown, inactive or has no
    published version.
    """
    return (
        ProcedureVersion.objects.select_related(
            "procedure", "procedure__field", "procedure__agency"
        )
        .prefetch_related("components")
        .get(
            procedure__code=code,
            procedure__is_active=True,
            state=ProcedureVersion.State.PUBLISHED,
        )
    )


def search(q: str = "", **filters: Any) -> SearchPage:
    """Published, active procedures matching `q`, best first (see tinhso.catalogue.search)."""
    return _search.search(q, **filters)


def fields_with_procedures() -> QuerySet[Field]:
    """Fields that have at least one published procedure, for filters and the home page."""
    return Field.objects.filter(
        procedures__is_active=True, procedures__current_version__isnull=False
    ).distinct()


def popular_procedures(limit: int = 8) -> list[Procedure]:
    return list(
        Procedure.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("field", "current_version")
        .order_by("-popularity", "code")[:limit]
    )


def can_edit_catalogue(user: Any) -> bool:
    """Catalogue administrators: staff with the catalogue change permission."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_staff
        and user.has_perm("catalogue.change_procedureversion")
    )


def access_version_for_edit(user: Any, pk: int) -> ProcedureVersion:
    """A version loaded only for a catalogue administrator (PermissionDenied otherwise)."""
    if not can_edit_catalogue(user):
        raise PermissionDenied
    return ProcedureVersion.objects.select_related("procedure").get(pk=pk)


def competent_agencies(
    procedure: Procedure | ListedProcedure, commune: Any = None
) -> QuerySet[Agency]:
    """The agencies that may decide this procedure.

    The procedure's own agency when it has one; otherwise, for a commune-level procedure, the
    People's Committee of `commune` (or of every commune of the province when no commune is
    given).
    """
    if procedure.agency_id is not None:
        return Agency.objects.filter(pk=procedure.agency_id)
    if "commune" in (procedure.levels or []):
        agencies = Agency.objects.filter(level=Agency.Level.COMMUNE, is_active=True)
        if commune is not None:
            return agencies.filter(commune=commune)
        return agencies.order_by("commune__code")
    return Agency.objects.none()


def competent_agency_label(procedure: Procedure) -> str:
    """Who decides, as the procedure page says it."""
    if procedure.agency is not None:
        return procedure.agency.name
    if "commune" in (procedure.levels or []):
        return _("Ủy ban nhân dân xã, phường nơi thực hiện")
    return _("Theo quy định của thủ tục")
