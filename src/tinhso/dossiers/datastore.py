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

Which documents a component is offered (`matches`, docs/datastore.md "Reuse"): a valid (not
expired) document whose kind is the component's (the component's code is the kind's code or
national result code, or the kind's name occurs in the component's name, both folded), or,
for a component the catalogue marks "có thể lấy từ kho dữ liệu", any electronic result.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime
from typing import Any, Protocol

from django.utils import translation
from django.utils.translation import gettext as _

from tinhso.core.text import fold as _fold

# Kind and component names repeat across documents and calls: fold each once.
fold = functools.lru_cache(maxsize=4096)(_fold)

# Kinds too general to be matched by name: a component is never "any paper".
GENERIC_KINDS = frozenset({"KQ-TTHC", "KHAC"})


@dataclasses.dataclass(frozen=True)
class StoredDocument:
    """A document the citizen may reuse: `ref` is opaque and stable within its store."""

    ref: str
    name: str
    kind: str  # file type: pdf, jpg, ...
    size: int
    issued_at: datetime
    source: str  # what it is, for the citizen: "Kết quả hồ sơ H66...-0001"
    kind_code: str = ""  # the document kind (DocumentKind.code), "" when unknown
    kind_name: str = ""
    national_code: str = ""  # the kind's national result code (MaKetQua)
    is_result: bool = False  # an electronic result of an earlier dossier
    signature: str = ""  # the store's signature state (StoredDocument.Signature), "" unknown

    @property
    def signature_label(self) -> str:
        """The signature state in the citizen's words, "" when the store does not say."""
        from tinhso.datastore.models import StoredDocument as Row

        return str(Row.Signature(self.signature).label) if self.signature else ""


def matches(component: Any, document: StoredDocument) -> bool:
    """Whether `document` may be offered for `component` (the rule in docs/datastore.md):
    its kind is the component's (the component's code equals the kind's code or national
    result code; or the kind's name, folded, occurs in the component's folded name; generic
    kinds never match by name), or the component is marked `from_datastore` and the document
    is an electronic result."""
    return _same_kind(component, document) or bool(component.from_datastore and document.is_result)


def _same_kind(component: Any, document: StoredDocument) -> bool:
    """The kind half of `matches`: by code or national result code, else by folded name."""
    code = (getattr(component, "code", "") or "").strip().casefold()
    if code and code in {document.kind_code.casefold(), document.national_code.casefold()} - {""}:
        return True
    if document.kind_code and document.kind_code not in GENERIC_KINDS:
        wanted = fold(document.kind_name)
        if wanted and f" {wanted} " in f" {fold(component.name)} ":
            return True
    return False


def _provenance_label(value: str) -> str:
    """The provenance as the picker shows it, translated once per language (the lazy label
    of `get_provenance_display`, hashed per row, was most of the offer's time)."""
    return _provenance_labels(translation.get_language() or "")[value]


@functools.lru_cache(maxsize=16)
def _provenance_labels(language: str) -> dict[str, str]:
    from tinhso.datastore.models import StoredDocument as Row

    return {value: str(label).capitalize() for value, label in Row.Provenance.choices}


def kind_for(component: Any, kinds: Any) -> Any:
    """The document kind a component asks for, by the same rule (`matches`), or None: what
    the counter's "Số hóa" form preselects."""
    for kind in kinds:
        probe = StoredDocument(
            ref="",
            name=kind.name,
            kind="",
            size=0,
            issued_at=datetime.min,
            source="",
            kind_code=kind.code,
            kind_name=kind.name,
            national_code=kind.national_code,
        )
        if kind.code not in GENERIC_KINDS and matches(component, probe):
            return kind
    return None


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
            .select_related("dossier__version")
            .order_by("-issued_at", "-pk")
        )

    @classmethod
    def _document(cls, result: Any, kind: Any = None) -> StoredDocument:
        return StoredDocument(
            ref=f"{cls.PREFIX}{result.pk}",
            name=result.name,
            kind=result.kind,
            size=result.size,
            issued_at=result.issued_at,
            source=_("Kết quả hồ sơ %(code)s") % {"code": result.dossier.code},
            kind_code=kind.code if kind is not None else "",
            kind_name=kind.name if kind is not None else "",
            national_code=kind.national_code if kind is not None else "",
            is_result=True,
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
            document = EarlierResultsStore._document(result, doc.kind)
            return dataclasses.replace(document, signature=doc.signature)
        label = f"{doc.kind.name} {doc.number}".strip()
        return StoredDocument(
            ref=f"{cls.DOC}{doc.pk}",
            name=label,
            kind=doc.file_kind,
            size=doc.size,
            issued_at=doc.created_at,
            source=_provenance_label(doc.provenance),
            kind_code=doc.kind.code,
            kind_name=doc.kind.name,
            national_code=doc.kind.national_code,
            is_result=doc.provenance == "dossier_result",
            signature=doc.signature,
        )

    def documents(self) -> list[StoredDocument]:
        """Every document the citizen may reuse, newest first: the store's unexpired
        documents of any provenance and the earlier results not entered in it yet (their
        kind guessed from the procedure's result name, as `datastore.actions.add_result`
        does). Three queries, whatever the count."""
        from tinhso.datastore.models import DocumentKind
        from tinhso.datastore.queries import my_documents

        stored = list(self._offer_rows())
        items = [self._from_row(row) for row in stored]
        # A result entered in the store is offered through its row or not at all: one whose
        # row has expired is not offered again as an earlier result (a subquery, expired
        # rows included, so no extra query).
        entered = my_documents(self.user).filter(source_result__isnull=False)
        earlier = [
            r
            for r in self.earlier._results()
            .exclude(pk__in=entered.values("source_result_id"))
            .only(
                "pk",
                "name",
                "kind",
                "size",
                "issued_at",
                "dossier__code",
                "dossier__version__result_name",
            )
        ]
        if earlier:
            kinds = {fold(k.name): k for k in DocumentKind.objects.all()}
            items += [
                self.earlier._document(r, kinds.get(fold(r.dossier.version.result_name or r.name)))
                for r in earlier
            ]
        return sorted(items, key=lambda d: d.issued_at, reverse=True)

    def offers(self, components: Any) -> dict[int, list[StoredDocument]]:
        """For each component (by pk), the documents `matches` offers, newest first. The kind
        test runs once per component and distinct kind, not per document."""
        documents = self.documents()
        kinds: dict[tuple[str, str, str], StoredDocument] = {}
        for d in documents:
            kinds.setdefault((d.kind_code, d.kind_name, d.national_code), d)
        offered = {}
        for c in components:
            same = {key for key, d in kinds.items() if _same_kind(c, d)}
            results_too = bool(c.from_datastore)
            offered[c.pk] = [
                d
                for d in documents
                if (d.kind_code, d.kind_name, d.national_code) in same
                or (results_too and d.is_result)
            ]
        return offered

    _ROW = (
        "pk",
        "kind__code",
        "kind__name",
        "kind__national_code",
        "number",
        "file_kind",
        "size",
        "created_at",
        "provenance",
        "source_result_id",
        "source_result__name",
        "source_result__kind",
        "source_result__size",
        "source_result__issued_at",
        "source_result__dossier__code",
        "signature",
    )

    def _offer_rows(self) -> Any:
        """The unexpired documents as tuples of `_ROW` (no model instances: the offer is on
        the file step's every page view, docs/datastore.md "Benchmark")."""
        return self._stored().order_by("-created_at", "-pk").values_list(*self._ROW)

    @classmethod
    def _from_row(cls, row: tuple[Any, ...]) -> StoredDocument:
        (pk, code, kind_name, national, number, file_kind, size, created_at, provenance) = row[:9]
        result_id, result_name, result_kind, result_size, issued_at, dossier_code = row[9:15]
        signature = row[15]
        if result_id:
            return StoredDocument(
                ref=f"{EarlierResultsStore.PREFIX}{result_id}",
                name=result_name,
                kind=result_kind,
                size=result_size,
                issued_at=issued_at,
                source=_("Kết quả hồ sơ %(code)s") % {"code": dossier_code},
                kind_code=code,
                kind_name=kind_name,
                national_code=national,
                is_result=True,
                signature=signature,
            )
        return StoredDocument(
            ref=f"{cls.DOC}{pk}",
            name=f"{kind_name} {number}".strip(),
            kind=file_kind,
            size=size,
            issued_at=created_at,
            source=_provenance_label(provenance),
            kind_code=code,
            kind_name=kind_name,
            national_code=national,
            is_result=provenance == "dossier_result",
            signature=signature,
        )

    def _by_ref(self, ref: str) -> Any:
        """The store's row behind `ref` when it is one of this user's, unexpired."""
        for prefix, field in ((self.DOC, "pk"), (EarlierResultsStore.PREFIX, "source_result")):
            if ref.startswith(prefix) and ref[len(prefix) :].isdigit():
                return self._stored().filter(**{field: int(ref[len(prefix) :])}).first()
        return None

    def resolve(self, ref: str) -> tuple[Any, Any]:
        """(the store's row, the DossierResult) behind `ref` when it is this user's and
        unexpired; (None, None) otherwise. Either may be None: an earlier result not entered
        in the store has no row, an upload has no result."""
        row = self._by_ref(ref)
        if row is not None:
            return row, row.source_result
        if self._entered_but_expired(ref):
            return None, None
        return None, self.earlier.result(ref)

    def _entered_but_expired(self, ref: str) -> bool:
        """Whether `ref` names an earlier result whose store row exists but has expired:
        refused, not reused through the earlier-results fallback."""
        from tinhso.datastore.queries import my_documents

        prefix = EarlierResultsStore.PREFIX
        if not ref.startswith(prefix) or not ref[len(prefix) :].isdigit():
            return False
        return my_documents(self.user).filter(source_result=int(ref[len(prefix) :])).exists()

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
