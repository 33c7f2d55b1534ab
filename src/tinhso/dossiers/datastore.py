"""The citizen's electronic data store (kho quản lý dữ liệu điện tử), as the dossier sees it.

Decree 45/2020/NĐ-CP lets citizens point to documents already held in their store instead
of submitting them again ("dẫn nguồn tài liệu từ Kho"); the article-level rules were not
read [UNCONFIRMED]. The store itself is a later issue. This module fixes the interface the
submission journey uses, `DataStore`, and gives one real implementation over what the
platform already holds: the electronic results of the citizen's earlier dossiers.

A later store (documents the citizen uploads, papers from the national data store) implements
the same protocol; `store_for(user)` is the one place that chooses.
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


def store_for(user: Any) -> EarlierResultsStore:
    return EarlierResultsStore(user)
