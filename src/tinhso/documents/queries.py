"""Reads of official documents, and the access helpers that load one only for those allowed.

Legal source: Decree 30/2020/NĐ-CP Điều 20–24 (who receives, registers, handles and keeps
documents: the agency's clerk, leaders and the officials they assign).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tinhso.core.text import search_key
from tinhso.documents.models import Document
from tinhso.people.models import Role
from tinhso.people.queries import AccessDenied, active_roles, has_role


def visible_documents(user: Any) -> QuerySet[Document]:
    """Documents of the agencies where `user` holds a role, and those assigned to them."""
    agencies = active_roles(user).values("agency_id")
    return Document.objects.filter(
        Q(agency_id__in=agencies) | Q(assignments__assignee=user)
    ).distinct()


def access_document(user: Any, pk: int) -> Document:
    """The document, if `user` may see it; AccessDenied otherwise (also when it is missing)."""
    doc = visible_documents(user).select_related("agency").filter(pk=pk).first()
    if doc is None:
        raise AccessDenied("Bạn không có quyền xem văn bản này.")
    return doc


def require_role(user: Any, doc: Document, *roles: str) -> None:
    if not any(has_role(user, role, doc.agency) for role in roles):
        raise AccessDenied("Bạn không có quyền thực hiện thao tác này với văn bản.")


def search(
    documents: QuerySet[Document],
    text: str = "",
    *,
    doc_type: str = "",
    direction: str = "",
    state: str = "",
    agency_id: int | None = None,
    year: int | None = None,
) -> QuerySet[Document]:
    """Case- and diacritic-insensitive search in subject, content and file text, with filters."""
    if text:
        for word in search_key(text).split():
            documents = documents.filter(search_text__contains=word)
    if doc_type:
        documents = documents.filter(doc_type=doc_type)
    if direction:
        documents = documents.filter(direction=direction)
    if state:
        documents = documents.filter(state=state)
    if agency_id:
        documents = documents.filter(agency_id=agency_id)
    if year:
        documents = documents.filter(created_at__year=year)
    return documents


CLERK, LEADER, SPECIALIST = Role.CLERK, Role.LEADER, Role.SPECIALIST
