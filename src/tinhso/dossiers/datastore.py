"""The citizen's electronic data store (kho quản lý dữ liệu điện tử), as the dossier sees it.

Decree 45/2020/NĐ-CP lets citizens point to documents already held in their store instead
of submitting them again ("dẫn nguồn tài liệu từ Kho"); the article-level rules were not
read [UNCONFIRMED]. This module fixes the interface the submission journey uses,
`DataStore`, and `store_for(user)` is the one place that chooses the implementation:
`CitizenStore`, which joins the store itself (`tinhso.datastore`: uploads, documents
digitised at the counter, papers from the national store, results entered when returned;
expired ones left out) with `EarlierResultsStore`, the electronic results of the citizen's
earlier dossiers not yet entered in the store. A result is offered once, under
`result:<id>`; other documents under `doc:<id>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class StoredDocument:
    """A document the citizen may reuse: `ref` is opaque and stable within its store."""

    ref: str
    name: str
    kind: str  # file type: pdf, jpg, ...
    size: int
    issued_at: datetime
    source: str  # what it is, for the citizen: "Kết quả hồ sơ H66...-0001"


class DataStore(Protocol):
    """What the submission journey needs from a citizen's data store."""

    def documents(self) -> list[StoredDocument]:
        """The citizen's documents, newest first."""
        ...

    def get(self, ref: str) -> StoredDocument | None:
        """One document by its ref, or None when it is not this citizen's."""
        ...

    def read(self, ref: str) -> bytes:
        """The document's content; LookupError when it is not this citizen's."""
        ...


class EarlierResultsStore:
    """The electronic results of the dossiers this user submitted before."""

    PREFIX = "result:"

    def __init__(self, user: Any) -> None:
        self.user = user

    def _results(self) -> Any:
        from tinhso.dossiers.models import DossierResult

        return (
            DossierResult.objects.filter(dossier__owner=self.user)
            .exclude(dossier__state="draft")
            .select_related("dossier")
            .order_by("-issued_at", "-pk")
        )

    @classmethod
    def _document(cls, result: Any) -> StoredDocument:
        return StoredDocument(
            ref=f"{cls.PREFIX}{result.pk}",
            name=result.name,
            kind=result.kind,
            size=result.size,
            issued_at=result.issued_at,
            source=_("Kết quả hồ sơ %(code)s") % {"code": result.dossier.code},
        )

    def documents(self) -> list[StoredDocument]:
        return [self._document(r) for r in self._results()]

    def result(self, ref: str) -> Any:
        """The DossierResult behind `ref`, only if it belongs to this user."""
        if not ref.startswith(self.PREFIX) or not ref[len(self.PREFIX) :].isdigit():
            return None
        return self._results().filter(pk=int(ref[len(self.PREFIX) :])).first()

    def get(self, ref: str) -> StoredDocument | None:
        result = self.result(ref)
        return self._document(result) if result else None

    def read(self, ref: str) -> bytes:
        result = self.result(ref)
        if result is None:
            raise LookupError(ref)
        with result.file.open("rb") as handle:
            return bytes(handle.read())


class CitizenStore:
    """The user's data store (`tinhso.datastore`) and their earlier dossiers' results."""

    DOC = "doc:"

    def __init__(self, user: Any) -> None:
        self.user = user
        self.earlier = EarlierResultsStore(user)

    def _stored(self) -> Any:
        from django.db.models import Q
        from django.utils import timezone

        from tinhso.datastore.queries import my_documents

        today = timezone.localdate()
        return (
            my_documents(self.user)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .select_related("source_result__dossier")
        )

    @classmethod
    def _document(cls, doc: Any) -> StoredDocument:
        result = doc.source_result
        if result is not None:
            return EarlierResultsStore._document(result)
        label = f"{doc.kind.name} {doc.number}".strip()
        return StoredDocument(
            ref=f"{cls.DOC}{doc.pk}",
            name=label,
            kind=doc.file_kind,
            size=doc.size,
            issued_at=doc.created_at,
            source=str(doc.get_provenance_display()).capitalize(),
        )

    def documents(self) -> list[StoredDocument]:
        """What the picker may offer: documents a dossier component can point to today. Only
        results can be attached by reference yet (`attach_from_datastore`); the citizen's
        uploads and digitised copies stay on the store's own pages until a dossier file can
        point to them (docs/datastore.md, "Not yet"), rather than being offered and refused."""
        stored = [d for d in self._stored() if d.source_result_id]
        entered = {d.source_result_id for d in stored}
        items = [self._document(d) for d in stored]
        items += [self.earlier._document(r) for r in self.earlier._results() if r.pk not in entered]
        return sorted(items, key=lambda d: d.issued_at, reverse=True)

    def _by_ref(self, ref: str) -> Any:
        """The store's row behind `ref` when it is one of this user's, unexpired."""
        for prefix, field in ((self.DOC, "pk"), (EarlierResultsStore.PREFIX, "source_result")):
            if ref.startswith(prefix) and ref[len(prefix) :].isdigit():
                return self._stored().filter(**{field: int(ref[len(prefix) :])}).first()
        return None

    def result(self, ref: str) -> Any:
        """The DossierResult behind `ref`, if it is one and this user's to reuse."""
        found = self.earlier.result(ref)
        if found is not None:
            return found
        doc = self._by_ref(ref)
        return doc.source_result if doc is not None else None

    def get(self, ref: str) -> StoredDocument | None:
        found = self.earlier.get(ref)
        if found is not None:
            return found
        doc = self._by_ref(ref)
        return self._document(doc) if doc is not None else None

    def read(self, ref: str) -> bytes:
        if self.earlier.result(ref) is not None:
            return self.earlier.read(ref)
        doc = self._by_ref(ref)
        if doc is None:
            raise LookupError(ref)
        with doc.file.open("rb") as handle:
            return bytes(handle.read())


def store_for(user: Any) -> CitizenStore:
    return CitizenStore(user)
