"""Who may see a stored document, stated once (Decree 13/2023/NĐ-CP; Law on Personal Data
Protection 2025): its owner (the citizen, or a member of the organisation), and an official
of an agency the owner shared it with while the share lasts. Nobody else, not even an
official of the issuing agency: the issuing agency keeps its own register."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from tinhso.datastore.models import StoredDocument

if TYPE_CHECKING:
    from tinhso.people.models import Organisation


def organisations_of(user: Any) -> QuerySet[Organisation]:
    """The organisations whose store `user` keeps as a member (people's `members`)."""
    from tinhso.people.models import Organisation

    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(members=user)


def owned_filter(user: Any) -> Q:
    """The query filter matching `user`'s own documents (their citizen record's, and their
    organisations'): a subquery, not a join, so rows never repeat and the result can be
    locked (PostgreSQL refuses FOR UPDATE with DISTINCT)."""
    from tinhso.people.models import Organisation

    organisations = Organisation.objects.filter(members=user).values("pk")
    return Q(citizen__user=user) | Q(organisation__in=organisations)


def owned_by(user: Any) -> QuerySet[StoredDocument]:
    if not getattr(user, "is_authenticated", False):
        return StoredDocument.objects.none()
    return StoredDocument.objects.filter(owned_filter(user))


def owns(user: Any, document: StoredDocument) -> bool:
    return owned_by(user).filter(pk=document.pk).exists()
