"""Reads of official documents, and the access helpers that load one only for those allowed.

Legal source: Decree 30/2020/NĐ-CP Điều 20–24 (who receives, registers, handles and keeps
documents: the agency's clerk, leaders and the officials they assign).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import BooleanField, DateField, Field, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncDate

from tinhso.core.text import fold
from tinhso.documents import errors
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Document, ReviewStep
from tinhso.people.models import Role
from tinhso.people.queries import active_roles


def visible_documents(user: Any) -> QuerySet[Document]:
    """Documents `user` may see: those of the agencies where they hold a role, and those
    assigned to them by name or to a unit (agency) where they hold a role.

    A secret document (Mật, Tối mật, Tuyệt mật: Law on Protection of State Secrets 2018,
    Decree 30/2020 Điều 15.1, 22) is narrower: only the agency's clerks and leaders, its signer
    and drafter, the reviewers of its review chain (they must read what they approve), and the
    people and units it is assigned to see it. Everyone else gets it as
    missing, like any other unseen object.
    """
    roles = active_roles(user)
    agencies = roles.values("agency_id")
    keepers = roles.filter(role__in=[Role.CLERK, Role.LEADER]).values("agency_id")
    assigned = Q(assignments__assignee=user) if getattr(user, "pk", None) else Q(pk__in=[])
    # A unit sees what is assigned to the unit as such; an assignment naming a person inside
    # the unit is that person's (it matters for secret documents).
    assigned |= Q(assignments__unit_id__in=agencies, assignments__assignee__isnull=True)
    own = (
        Q(signer=user) | Q(created_by=user) | Q(review_steps__reviewer=user)
        if getattr(user, "pk", None)
        else Q(pk__in=[])
    )
    open_ = Q(secrecy="") & Q(agency_id__in=agencies)
    secret = ~Q(secrecy="") & Q(agency_id__in=keepers)
    ids = Document.objects.filter(open_ | secret | own | assigned).values("pk")
    return Document.objects.filter(pk__in=ids)


def access_document(user: Any, pk: int) -> Document:
    """The document, if `user` may see it; a NOT_FOUND refusal otherwise (also when it is
    missing: one answer, so a document out of reach does not leak its existence)."""
    doc = visible_documents(user).select_related("agency").filter(pk=pk).first()
    if doc is None:
        raise DocumentError(errors.NOT_FOUND)
    return doc


@dataclass(frozen=True)
class Term:
    """One part of a search query, folded: a word, a word prefix, or a phrase of words."""

    words: tuple[str, ...]
    prefix: bool = False


MAX_TERMS = 12
_QUOTED = re.compile(r'"([^"]*)"?')


def parse_query(text: str) -> list[Term]:
    """The folded terms of a query. `"…"` is a phrase; so is a token that folds to several
    words (`15/QĐ-UBND` → `15 qd ubnd`); the last bare word is a prefix (`quyet dinh ph…`)
    unless the query ends with a space."""
    terms: list[Term] = []
    position = 0
    for match in _QUOTED.finditer(text):
        terms += _bare_terms(text[position : match.start()], last=False)
        words = tuple(fold(match.group(1)).split())
        if words:
            terms.append(Term(words))
        position = match.end()
    tail = text[position:]
    terms += _bare_terms(tail, last=bool(tail) and not tail[-1].isspace())
    return terms[:MAX_TERMS]


def _bare_terms(text: str, *, last: bool) -> list[Term]:
    tokens = [tuple(fold(token).split()) for token in text.split()]
    tokens = [t for t in tokens if t]
    terms = [Term(t) for t in tokens]
    if last and terms and len(terms[-1].words) == 1 and len(terms[-1].words[0]) >= 2:
        terms[-1] = Term(terms[-1].words, prefix=True)
    return terms


def tsquery(terms: list[Term], *, weight: str = "") -> str:
    """PostgreSQL `to_tsquery('simple', …)` text: `quyet & dinh:* & (15 <-> qd <-> ubnd)`.
    With `weight` ("A": the subject), every word matches only lexemes of that weight:
    `quyet:A & dinh:*A`."""
    label = ":" + weight if weight else ""
    prefix = ":*" + weight if weight else ":*"
    parts = []
    for term in terms:
        if len(term.words) > 1:
            parts.append("(" + " <-> ".join(word + label for word in term.words) + ")")
        else:
            parts.append(term.words[0] + (prefix if term.prefix else label))
    return " & ".join(parts)


def fts5_query(terms: list[Term]) -> str:
    """SQLite FTS5 MATCH text: `"quyet" AND "dinh"* AND "15 qd ubnd"`."""
    return " AND ".join(
        '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms
    )


# The full-text index is outside the model (migration 0006): raw SQL over it, by vendor.
_PG_MATCH = "documents_document.search_vector @@ to_tsquery('simple', %s)"
# The subject is the vector's weight A: asked with weight-labelled words (`quyet:A`), which
# reads the stored vector as it is, where ts_filter built a filtered copy of it for every
# matching row, twice (a third of a common query's time at a million documents).
_PG_SUBJECT = _PG_MATCH
_PG_RANK = "ts_rank(documents_document.search_vector, to_tsquery('simple', %s))"
_FTS_MATCH = (
    "documents_document.id IN (SELECT rowid FROM documents_document_fts "
    "WHERE documents_document_fts MATCH %s)"
)
# SQLite: the FTS5 table joined on rowid (one MATCH for the whole query; a correlated
# subquery per row would repeat it for every matching document).
_FTS_JOIN = [
    "documents_document_fts.rowid = documents_document.id",
    "documents_document_fts MATCH %s",
]
_FTS_RANK = "-bm25(documents_document_fts, 10.0, 1.0)"


def _sql(sql: str, query: str, field: Field[Any, Any]) -> RawSQL:
    """One of the constant SQL fragments above, the query text bound as a parameter."""
    return RawSQL(sql, [query], output_field=field)  # noqa: S611 - constant SQL, bound value


# The annotations of `_ranked` (the "rank" of SQLite is an `extra` select), best first.
RANKED_ORDER = ("-subject_phrase", "-subject_match", "-rank", "-created_at", "-id")


def as_phrase(terms: list[Term]) -> list[Term]:
    """All the query's words as one phrase (the last one still a prefix if it was)."""
    words = tuple(word for term in terms for word in term.words)
    return [Term(words, prefix=terms[-1].prefix)]


def _ranked(documents: QuerySet[Document], terms: list[Term]) -> QuerySet[Document]:
    """Matching documents, best first: the number or subject holding the words as one phrase,
    then holding every term, then the database's rank (ts_rank over subject A / everything B
    on PostgreSQL, bm25 weighted 10:1 on SQLite), then newest."""
    phrase = as_phrase(terms)
    if connection.vendor == "postgresql":
        query = tsquery(terms)
        documents = documents.filter(_sql(_PG_MATCH, query, BooleanField())).annotate(
            subject_phrase=_sql(_PG_SUBJECT, tsquery(phrase, weight="A"), BooleanField()),
            subject_match=_sql(_PG_SUBJECT, tsquery(terms, weight="A"), BooleanField()),
            rank=_sql(_PG_RANK, query, FloatField()),
        )
    else:
        query = fts5_query(terms)
        documents = documents.extra(  # noqa: S610 - constant SQL, the query text bound
            tables=["documents_document_fts"],
            where=_FTS_JOIN,
            params=[query],
            select={"rank": _FTS_RANK},
        ).annotate(
            subject_phrase=_sql(
                _FTS_MATCH, f"subject_key : ({fts5_query(phrase)})", BooleanField()
            ),
            subject_match=_sql(_FTS_MATCH, f"subject_key : ({query})", BooleanField()),
        )
    return documents.order_by(*RANKED_ORDER)


def search(
    documents: QuerySet[Document],
    text: str = "",
    *,
    doc_type: str = "",
    direction: str = "",
    state: str = "",
    agency_id: int | None = None,
    register_id: int | None = None,
    year: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Document]:
    """Case- and diacritic-insensitive full-text search in number, subject, content, sender
    and the files' text, best match first (newest first without text), with filters.

    The period (`date_from`, `date_to`, inclusive) is the document's date (ngày văn bản),
    or the day it was created for drafts that have none yet.
    """
    if doc_type:
        documents = documents.filter(doc_type=doc_type)
    if direction:
        documents = documents.filter(direction=direction)
    if state:
        documents = documents.filter(state=state)
    if agency_id:
        documents = documents.filter(agency_id=agency_id)
    if register_id:
        documents = documents.filter(register_id=register_id)
    if year:
        documents = documents.filter(created_at__year=year)
    if date_from or date_to:
        day = Coalesce("document_date", TruncDate("created_at"), output_field=DateField())
        documents = documents.alias(day=day)
        if date_from:
            documents = documents.filter(day__gte=date_from)
        if date_to:
            documents = documents.filter(day__lte=date_to)
    terms = parse_query(text)
    if terms:
        documents = _ranked(documents, terms)
    return documents


def review_history(document: Document) -> QuerySet[ReviewStep]:
    """Every step of every review round of a document, in order (its review history)."""
    return document.review_steps.select_related("reviewer").order_by("round", "position")
