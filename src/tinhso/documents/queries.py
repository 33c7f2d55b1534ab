"""Reads of official documents, and the access helpers that load one only for those allowed.

Legal source: Decree 30/2020/NĐ-CP Điều 20–24 (who receives, registers, handles and keeps
documents: the agency's clerk, leaders and the officials they assign).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    F,
    Field,
    FloatField,
    Func,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL
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
    unless the query ends with a space.

    A last bare word of one letter after other terms (`quyet d`) is left out: too short to be
    a prefix (it would match nearly every document), and as a whole word it matched nothing
    while the person was still typing. The results are those of the words before it, a
    superset; the ranking's phrase still ends with that letter (`_parse`). A lone
    letter, a digit, and one-letter words that are not last (or are followed by a space) are
    kept as they are."""
    return _parse(text)[0]


def _parse(text: str) -> tuple[list[Term], str]:
    """`parse_query`'s terms, and the one-letter last word it leaves out (`quyet d` → `d`) or
    "". The letter ends the ranking's phrase as a prefix (`as_phrase`): the documents whose
    subject holds `quyet d…` come first, as `quyet dinh` will once it is typed, and the first
    page is read from the indexed word pairs (`'quyet d':*`) instead of ranking every document
    holding `quyet`."""
    terms: list[Term] = []
    position = 0
    for match in _QUOTED.finditer(text):
        terms += _bare_terms(text[position : match.start()], last=False)
        words = tuple(fold(match.group(1)).split())
        if words:
            terms.append(Term(words))
        position = match.end()
    tail = text[position:]
    last = bool(tail) and not tail[-1].isspace()
    tail_terms = _bare_terms(tail, last=last)
    letter = ""
    if last and tail_terms and len(terms) + len(tail_terms) > 1 and _being_typed(tail_terms[-1]):
        letter = tail_terms.pop().words[0]
    terms += tail_terms
    if len(terms) > MAX_TERMS:  # the letter no longer follows the last word kept
        letter = ""
    return terms[:MAX_TERMS], letter


def _being_typed(term: Term) -> bool:
    """Whether the query's last bare term is one letter, a word still being typed."""
    return len(term.words) == 1 and len(term.words[0]) == 1 and term.words[0].isalpha()


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
    `quyet:A & dinh:*A`. A phrase's last word keeps its prefix (`as_phrase` of `giao th`:
    `(giao <-> th:*)`), as FTS5's `"giao th"*` does on SQLite."""
    label = ":" + weight if weight else ""
    prefix = ":*" + weight if weight else ":*"
    parts = []
    for term in terms:
        last = term.words[-1] + (prefix if term.prefix else label)
        if len(term.words) > 1:
            parts.append("(" + " <-> ".join([w + label for w in term.words[:-1]] + [last]) + ")")
        else:
            parts.append(last)
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
# The subject's adjacent word pairs of one year (migration 0011), asked as lexemes:
# `'2026 quyet dinh'`, or `'2026/CV quyet dinh'` for one type, the year being the step's
# (`_YearSteps`) in place of `Y` after each lexeme's opening quote.
_PG_PAIRS = (
    "documents_document.subject_pairs @@ "
    "replace(%s, '''Y', '''' || tinhso_year.year::text)::tsquery"
)
# A type that can stand in a pair lexeme as it is (no quote, space or backslash to escape,
# so `'Y` occurs only where a lexeme opens); any other type is filtered on the rows.
_PLAIN_TYPE = re.compile(r"[^\W_]{1,5}")
# The subject phrase checked on the pairs' candidates only: not the GIN index's expression,
# so the planner cannot read that index for it (for two common words, the very cost the pairs
# avoid: every document holding both words).
_PG_SUBJECT_CHECK = (
    "coalesce(documents_document.search_vector, ''::tsvector) @@ to_tsquery('simple', %s)"
)
_PAIR_WORD = re.compile(r"[a-z0-9]+")
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


class _Fragment(RawSQL):
    """One of the constant SQL fragments above, naming `documents_document` by the alias the
    query gives it: inside a subquery Django relabels the table (`U0`), and a fragment still
    naming `documents_document` would read the outer query's row instead."""

    def __init__(
        self, sql: str, params: list[Any], output_field: Field[Any, Any], alias: str = ""
    ) -> None:
        super().__init__(sql, params, output_field=output_field)
        self.alias = alias or Document._meta.db_table

    def relabeled_clone(self, change_map: Mapping[str, str]) -> _Fragment:
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        table = compiler.quote_name_unless_alias(self.alias)
        return "(" + self.sql.replace("documents_document.", table + ".") + ")", tuple(self.params)


def _sql(sql: str, query: str, field: Field[Any, Any]) -> RawSQL:
    """One of the constant SQL fragments above, the query text bound as a parameter."""
    return _Fragment(sql, [query], field)


# The annotations of `_ranked`, best first. Inside the phrase group `rank` is 0 (`_in_group`):
# every member holds the query as typed, and the newest comes first.
RANKED_ORDER = ("-subject_phrase", "-subject_match", "-rank", "-created_at", "-id")


def _in_group(rank: Any) -> Case:
    """`rank` outside the phrase group, 0 inside it: the group is ordered newest first (its
    members all hold the query as one phrase in their subject; the database's rank among them
    only counted the words' repeats in the content). That order is what lets PostgreSQL read
    the group's first page a year at a time (`_YearSteps`) instead of ranking all of it."""
    return Case(When(subject_phrase=True, then=Value(0.0)), default=rank, output_field=FloatField())


class _Candidates(Expression):
    """`ARRAY(WITH tinhso_best AS MATERIALIZED steps SELECT * FROM tinhso_best UNION ALL rest)`:
    the phrase group's page (`steps`, a `_YearSteps`) read once, and the rest of the matches
    (`rest`, holding `_REST_NEEDED`) only when that page is short, which `rest` asks of the
    page already read. An array, compared by `= ANY`, so the outer query fetches the
    candidates by key: as an `IN (…)` semi-join the planner costed them by the branch of
    every match (tens of thousands, where the page's count leaves none) and chose to sort
    every document of the type instead (1.3 s at a million documents)."""

    def __init__(self, steps: Subquery, rest: QuerySet[Document]) -> None:
        super().__init__(output_field=BooleanField())
        self.steps, self.rest = steps, Subquery(rest.values("pk"))

    def get_source_expressions(self) -> list[Any]:
        return [self.steps, self.rest]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.steps, self.rest = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        steps, steps_params = compiler.compile(self.steps)
        rest, rest_params = compiler.compile(self.rest)
        # Compiled fragments, their values bound as parameters.
        sql = _CANDIDATES % {"steps": steps, "rest": rest}
        return sql, (*steps_params, *rest_params)


_CANDIDATES = (
    "ARRAY(WITH tinhso_best AS MATERIALIZED %(steps)s SELECT * FROM tinhso_best UNION ALL %(rest)s)"
)
# The rest of the matches is read only while the group's page (`_Candidates`) is short.
_REST_NEEDED = "(SELECT count(*) FROM tinhso_best) < %s"


class _YearSteps(Subquery):
    """The first `first` ids of a page (ordered newest first, sliced to `first`, and asking
    `_PG_PAIRS` of `tinhso_year.year`) over the years of `created_at` in UTC, newest year
    first: PostgreSQL runs the lateral subquery for one year, then the next only while the
    page is not full. Years are ordered as time is (any time zone's year would do), so the
    years' pages in turn are the group's newest-first order; a page costs one year's group,
    not the archive's.

    The outer LIMIT has no ORDER BY, on purpose: one would sort every year's page before
    limiting. The order it relies on is the nested loop's, which the LATERAL reference
    imposes: `generate_series` yields the years in turn, and each year's page is emitted
    whole before the next year's is asked for."""

    template = (
        "(SELECT tinhso_step.* FROM generate_series("
        "(SELECT extract(year FROM max(created_at) AT TIME ZONE 'UTC')::integer "
        "FROM documents_document), "
        "(SELECT extract(year FROM min(created_at) AT TIME ZONE 'UTC')::integer "
        "FROM documents_document), -1) AS tinhso_year(year) "
        "CROSS JOIN LATERAL (%(subquery)s) AS tinhso_step LIMIT %(first)d)"
    )


def as_phrase(terms: list[Term], letter: str = "") -> list[Term]:
    """All the query's words as one phrase (the last one still a prefix if it was), ended by
    the one letter being typed as a prefix, if any (`_parse`: `quyet d` → `quyet d…`)."""
    words = tuple(word for term in terms for word in term.words)
    if letter:
        return [Term((*words, letter), prefix=True)]
    return [Term(words, prefix=terms[-1].prefix)]


def pairs_query(phrase: Term, doc_type: str = "") -> str:
    """The tsquery text of a phrase's adjacent word pairs in the year `Y`
    (`'Y quyet dinh' & 'Y dinh giao'`; `_PG_PAIRS` puts the year in), as migration 0011
    indexes them; "" when the phrase has one word, or a word the parser might split or change
    (anything but a-z and 0-9), which the pairs cannot stand for. With `doc_type` (a
    `_PLAIN_TYPE`), the pairs of that type's documents alone (`'Y/CV quyet dinh'`).

    A last word being typed makes the last pair a prefix: `giao th` asks `'Y giao th':*`,
    every indexed pair of that year whose first word is `giao` and whose second begins with
    `th` (the space ends the first word, so `giaothong th…` is not one of them), just as
    `tsquery` writes the phrase `giao <-> th:*`."""
    words = phrase.words
    if len(words) < 2 or not all(_PAIR_WORD.fullmatch(word) for word in words):
        return ""
    pairs = [f"{a} {b}" for a, b in pairwise(words)]
    if any(len(pair) > 2000 for pair in pairs):  # not indexed (0011): too long for a lexeme
        return ""
    head = f"Y/{doc_type}" if doc_type else "Y"
    lexemes = [f"'{head} {pair}'" for pair in pairs]
    if phrase.prefix:
        lexemes[-1] += ":*"
    return " & ".join(lexemes)


def _first_phrase_group(
    documents: QuerySet[Document], terms: list[Term], phrase: Term, first: int, doc_type: str
) -> QuerySet[Document]:
    """`documents` narrowed to the candidates of the ranking's first `first` places, in the
    same one query (PostgreSQL).

    The ranking's first group is the documents whose subject holds the query's words as one
    phrase; they are found from the indexed word pairs of each year, newest year first
    (`_YearSteps`: a few hundred documents a year where the words are common and all their
    matches number tens of thousands). When at least `first` of them pass the filters, the
    first `first` places are all theirs, newest first, and no other match needs ranking: the
    rest of the matches are a second branch of the union whose one-time filter (the page's
    count, read from the page already read: `_Candidates`) stops it before it reads the
    full-text index. Otherwise the second branch is every match, as without `first`. Either way the
    order is the full ranking's.

    Why the order is the full ranking's, a last word being typed included (`giao th`):
    `RANKED_ORDER` sorts by `subject_phrase` first, so every match whose subject holds the
    phrase comes before every match whose subject does not, whatever their ranks: no score is
    compared across the two. It remains to see that the group read here is exactly the
    matches whose `subject_phrase` is true.
    - Each group member is one: it passes the very phrase query `subject_phrase` asks
      (`_PG_SUBJECT_CHECK`, `tsquery([phrase], weight="A")`), and a subject holding the
      phrase holds every word of the query and each quoted phrase (a contiguous part of it;
      a letter being typed only adds a word after them), so it is a match.
    - Each such match is in the group: `giao:A <-> th:*A` holds when the subject's words at
      two adjacent positions are `giao` and a word beginning with `th`, say `thong`; the
      pairs are taken from those positions (migration 0011), so `'2026 giao thong'` is a
      pair of a document made in 2026 (UTC), and `'2026 giao th':*` finds it when the step
      reaches 2026; every year with documents is stepped through until the page is full.
      Whole words (`'2026 quyet dinh'`) are found the same way. The one pair migration 0011
      leaves out is one of 2,001 bytes or more: for whole words the query's own pair,
      refused by `pairs_query`; for the last word being typed, a subject
      word of 2,000 bytes or more (hundreds of letters with no space or punctuation, which
      no trích yếu holds) would keep its document out of the group: it is still found, but
      not placed on a page the group fills.
    - Inside the group `RANKED_ORDER` is newest first: every member's `subject_match` is
      true and its `rank` 0 (`_in_group`), so `created_at`, then `id`, decide; the group is
      read in that order, a year at a time (`_YearSteps`)."""
    in_phrase = documents.filter(
        _sql(_PG_PAIRS, pairs_query(phrase, doc_type), BooleanField()),
        _sql(_PG_SUBJECT_CHECK, tsquery([phrase], weight="A"), BooleanField()),
    ).order_by()
    # The group's own first `first`, newest first, a year at a time (the outer query then
    # reads only those again, not the whole group).
    page = in_phrase.order_by("-created_at", "-id").values("pk")[:first]
    rest = documents.filter(
        _sql(_PG_MATCH, tsquery(terms), BooleanField()),
        _Fragment(_REST_NEEDED, [first], BooleanField()),
    ).order_by()
    candidates = _Candidates(_YearSteps(page, first=first), rest)
    return documents.filter(
        Func(
            F("pk"),
            candidates,
            template="(%(expressions)s))",
            arg_joiner=" = ANY(",
            output_field=BooleanField(),
        )
    )


def _pg_ranks(documents: QuerySet[Document], terms: list[Term], phrase: Term) -> QuerySet[Document]:
    """The annotations `RANKED_ORDER` sorts by, on PostgreSQL."""
    return documents.annotate(
        subject_phrase=_sql(_PG_SUBJECT, tsquery([phrase], weight="A"), BooleanField()),
        subject_match=_sql(_PG_SUBJECT, tsquery(terms, weight="A"), BooleanField()),
    ).annotate(rank=_in_group(_sql(_PG_RANK, tsquery(terms), FloatField())))


def _ranked(
    documents: QuerySet[Document],
    terms: list[Term],
    first: int | None = None,
    letter: str = "",
    doc_type: str = "",
) -> QuerySet[Document]:
    """Matching documents, best first: the number or subject holding the words as one phrase
    (a last word being typed a prefix there too: `giao th` puts `giao thông` first), newest
    first among them; then holding every term, then the database's rank (ts_rank over subject
    A / everything B on PostgreSQL, bm25 weighted 10:1 on SQLite), then newest. With `first`,
    only the first `first` are guaranteed (see `_first_phrase_group`). `letter`: see
    `_parse`. `doc_type`: the type `documents` is already filtered by, if any, so that the
    first page reads that type's pairs alone."""
    phrase = as_phrase(terms, letter)
    if connections[documents.db].vendor == "postgresql":
        if first and pairs_query(phrase[0]):
            # Every candidate is a match already: not asking the full-text index again leaves
            # the planner nothing to start from but the candidates' keys.
            plain = doc_type if _PLAIN_TYPE.fullmatch(doc_type) else ""
            matches = _first_phrase_group(documents, terms, phrase[0], first, plain)
        else:
            matches = documents.filter(_sql(_PG_MATCH, tsquery(terms), BooleanField()))
        documents = _pg_ranks(matches, terms, phrase[0])
    else:
        query = fts5_query(terms)
        documents = (
            documents.extra(  # noqa: S610 - constant SQL, the query text bound
                tables=["documents_document_fts"], where=_FTS_JOIN, params=[query]
            )
            .annotate(
                subject_phrase=_sql(
                    _FTS_MATCH, f"subject_key : ({fts5_query(phrase)})", BooleanField()
                ),
                subject_match=_sql(_FTS_MATCH, f"subject_key : ({query})", BooleanField()),
            )
            .annotate(rank=_in_group(_Fragment(_FTS_RANK, [], FloatField())))
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
    first: int | None = None,
) -> QuerySet[Document]:
    """Case- and diacritic-insensitive full-text search in number, subject, content, sender
    and the files' text, best match first (newest first without text), with filters.

    `first`: the caller reads at most the first `first` results (a page): their order is
    exact, and on PostgreSQL the matches that cannot reach them are not ranked. Reading
    beyond `first` may miss matches; without it every match is ranked.

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
    terms, letter = _parse(text)
    if terms:
        documents = _ranked(documents, terms, first, letter, doc_type)
    return documents


def review_history(document: Document) -> QuerySet[ReviewStep]:
    """Every step of every review round of a document, in order (its review history)."""
    return document.review_steps.select_related("reviewer").order_by("round", "position")
