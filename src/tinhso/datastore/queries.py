"""Reads of the data store, loaded only for who may see them.

Legal sources: Decree 45/2020/NĐ-CP (the store), Decree 13/2023/NĐ-CP and the Law on
Personal Data Protection 2025 (a stored document is personal data). `access_*` combine the
lookup with the permission check (`permissions.py`): what is out of reach raises the same
DOCUMENT_NOT_FOUND (404) as what does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Count, QuerySet
from django.utils import timezone

from tinhso.datastore import errors, permissions
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import DocumentShare, StoredDocument, StoredDocumentRead
from tinhso.people.models import Citizen, Organisation

SHARE_SALT = "tinhso.datastore.share"


def my_documents(user: Any) -> QuerySet[StoredDocument]:
    """The user's own documents, newest first, with what the list shows loaded."""
    return (
        permissions.owned_by(user)
        .select_related("kind", "issuer", "digitised_by")
        .order_by("-created_at", "-pk")
    )


def access_organisation(user: Any, pk: int | str) -> Organisation:
    """The organisation `pk` whose store `user` keeps as a member, or STORE_NOT_FOUND (the
    same 404 whether it does not exist or the user is not a member)."""
    organisation = (
        permissions.organisations_of(user).filter(pk=int(pk)).first()
        if str(pk).isdigit() and len(str(pk)) <= 18
        else None
    )
    if organisation is None:
        raise DatastoreError(errors.STORE_NOT_FOUND)
    return organisation


def store_documents(user: Any, organisation: Organisation | None) -> QuerySet[StoredDocument]:
    """One store's documents, newest first: the user's own citizen store, or (already
    checked by `access_organisation`) an organisation's the user is a member of. Still
    filtered by `permissions.owned_by`, so a caller that skipped the check gets nothing."""
    documents = my_documents(user)
    if organisation is None:
        return documents.filter(citizen__user=user)
    return documents.filter(organisation=organisation)


def access_document(user: Any, pk: int | str) -> StoredDocument:
    """The user's own document `pk`, or DOCUMENT_NOT_FOUND."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        raise DatastoreError(errors.DOCUMENT_NOT_FOUND)
    document = my_documents(user).select_related("organisation").filter(pk=int(pk)).first()
    if document is None:
        raise DatastoreError(errors.DOCUMENT_NOT_FOUND)
    return document


def reads_of_store(user: Any, organisation: Organisation | None) -> QuerySet[StoredDocumentRead]:
    """Who read which document of one store, and when (newest first): the user's own store,
    or (already checked by `access_organisation`) an organisation's the user is a member of.
    Still filtered by `permissions.owned_by`, so a caller that skipped the check gets
    nothing."""
    documents = store_documents(user, organisation).values("pk")
    return StoredDocumentRead.objects.filter(document__in=documents).select_related(
        "document__kind", "official", "agency"
    )


def share_of(document: StoredDocument, pk: int | str) -> DocumentShare:
    """The share `pk` of `document` (already checked as the user's), or SHARE_NOT_FOUND."""
    share = (
        document.shares.select_related("agency").filter(pk=int(pk)).first()
        if str(pk).isdigit() and len(str(pk)) <= 18
        else None
    )
    if share is None:
        raise DatastoreError(errors.SHARE_NOT_FOUND)
    return share


def shares_of(document: StoredDocument) -> QuerySet[DocumentShare]:
    """The document's shares, newest first, each with `read_count`: the reads made through
    it (the owner's "used or not")."""
    return document.shares.select_related("agency").annotate(read_count=Count("reads"))


def share_token(share: DocumentShare) -> str:
    """The share's link token: its id signed with SECRET_KEY (the same every time, so the
    owner's page can show it again; the expiry lives in the row, where it can end early)."""
    return signing.Signer(salt=SHARE_SALT).sign(str(share.pk))


@dataclass(frozen=True)
class SharedAccess:
    share: DocumentShare
    agency: Any


def access_shared(user: Any, token: str) -> SharedAccess:
    """The share behind a signed link, for an official of the agency it names while it lasts;
    SHARE_NOT_VALID for anyone or anything else (a forged, expired or foreign link)."""
    from tinhso.people.queries import active_roles

    try:
        pk = int(signing.Signer(salt=SHARE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise DatastoreError(errors.SHARE_NOT_VALID) from None
    share = DocumentShare.objects.select_related("document__kind", "agency").filter(pk=pk).first()
    if share is None or not getattr(user, "is_authenticated", False):
        raise DatastoreError(errors.SHARE_NOT_VALID)
    if not active_roles(user).filter(agency=share.agency).exists():
        raise DatastoreError(errors.SHARE_NOT_VALID)
    # Only the named agency's official learns that the owner revoked it (a page saying so,
    # not a bare 404): they hold the link and need to know to ask again.
    if share.revoked_at is not None:
        raise DatastoreError(errors.SHARE_REVOKED)
    if share.expires_at <= timezone.now():
        raise DatastoreError(errors.SHARE_NOT_VALID)
    return SharedAccess(share, share.agency)


def store_owner(identifier: str) -> Citizen | Organisation | None:
    """The citizen (12-digit personal identification number) or organisation (tax code)."""
    identifier = identifier.strip()
    if len(identifier) == 12 and identifier.isdigit():
        return Citizen.objects.filter(personal_id=identifier).first()
    return Organisation.objects.filter(tax_code=identifier).first()


def documents_of(owner: Citizen | Organisation) -> QuerySet[StoredDocument]:
    field = "citizen" if isinstance(owner, Citizen) else "organisation"
    return (
        StoredDocument.objects.filter(**{field: owner})
        .select_related("kind", "issuer")
        .order_by("-created_at", "-pk")
    )


def document_by_ref(ref: str) -> StoredDocument | None:
    """A document by its `doc:<id>` reference (commands only: no person's check)."""
    if not ref.startswith("doc:") or not ref[4:].isdigit():
        return None
    return StoredDocument.objects.select_related("kind").filter(pk=int(ref[4:])).first()
