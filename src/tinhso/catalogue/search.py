"""Catalogue search: diacritic- and case-insensitive, typo tolerant, ranked.

How it works:
1. The query is folded like the stored keys (``tinhso.core.text.fold``: no diacritics, lower
   case, đ → d), so "ĐĂNG KÝ KHAI SINH" and "dang ky khai sinh" are the same query; a few
   colloquial phrases become the official words ("sổ đỏ" → "giấy chứng nhận quyền sử dụng
   đất", "nhập hộ khẩu" → "đăng ký thường trú").
2. Words not in the catalogue's vocabulary (``SearchTerm``) are corrected to the nearest word
   within a Damerau-Levenshtein distance of 1 (words of 4–6 letters) or 2 (7 letters and up).
   The last word may also be an unfinished prefix ("khai si").
3. The database's full-text index finds the candidates: FTS5 (bm25, name weighted 10:1) on
   SQLite, ``to_tsvector('simple', …)`` with a GIN index and ``ts_rank_cd`` on PostgreSQL. All
   words must match. When nothing does, any word may, but only procedures whose *name* holds
   at least half of the words are kept, and the page is marked not exact (``exact=False``),
   so "hộ chiếu đi Mỹ" answers "nothing matched" instead of every name containing "hộ".
4. Candidates are ranked by how well the *name* matches: every word present, the words as
   one phrase, the name beginning with the phrase, fewer extra words, then popularity and the
   database's own rank. So "khai sinh" puts "Đăng ký khai sinh" before "Đăng ký lại khai sinh".
   The ranking is one SQL query over the index's hits (`_rank`, the same score as
   `name_score`), returning the page's ids and the total; only the page's procedures are then
   loaded, as tuples of the columns a list prints (`ListedProcedure`: no model instances,
   no e-forms or long texts). Three queries in all (vocabulary,
   ranking, page) however many procedures match.
5. The ranking's answer (the page's ids, the total, the corrected query, exact or not) is
   cached in Django's default cache, keyed by the catalogue's generation
   (``tinhso.catalogue.generation``: one primary-key read per search, changed in the same
   transaction as every publish, withdrawal and import), the folded words, the filters and
   the page. Only ids and counts are cached, nothing personal; the page's rows are always
   loaded fresh, filtered again by published and active; should a cached id not come back
   (a row written behind the actions' back), the ranking is run again. A repeated search is
   two queries (the generation, the page); a new one is four.
6. A search is a `Question` (the folded words or the code, the filters, the page: what
   `question` makes of the query, no database read) answered under a generation (`answer`),
   so the API keys its finished answers by the same question: a repeated anonymous search
   through the API is the generation's read alone (``tinhso.catalogue.answers``). Those kept
   bytes are not re-read as the page's rows are: a row written behind the actions' back shows
   in the API's answer at the next generation, as the stored detail's does.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from tinhso.catalogue import generation
from tinhso.catalogue.models import (
    Procedure,
    ProcedureVersion,
    SearchTerm,
    processing_label,
    total_fee,
)
from tinhso.core.prepared import prepared, prepared_cursor
from tinhso.core.text import fold

MAX_WORDS = 8
# What people say → the words of the official names (folded). Applied to whole words.
COLLOQUIAL = {
    "lam giay khai sinh": "dang ky khai sinh",
    "lam khai sinh": "dang ky khai sinh",
    "bao tu": "dang ky khai tu",
    "so do": "giay chung nhan quyen su dung dat",
    "so hong": "giay chung nhan quyen su dung dat",
    "nhap ho khau": "dang ky thuong tru",
    "nhap khau": "dang ky thuong tru",
    "tach khau": "tach ho",
    "giay xac nhan doc than": "xac nhan tinh trang hon nhan",
    "doc than": "tinh trang hon nhan",
    "cong chung ban sao": "chung thuc ban sao",
    "giay phep kinh doanh": "dang ky kinh doanh",
}
_CODE = re.compile(r"^\d\.\d{6}$")
_FILLER_PREFIXES = ("thu tuc ",)
# How long a cached ranking may live; the generation, not this, is what keeps it correct.
CACHE_SECONDS = 600
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchPage:
    items: list[ListedProcedure]
    count: int
    corrected: str  # the folded query actually searched, after typo correction
    exact: bool = True  # False: no procedure has every word; these are near matches


def plain_words(q: str) -> list[str]:
    """The folded words of a query, colloquial phrases replaced by the official words."""
    padded = f" {fold(q)} "
    for said, official in COLLOQUIAL.items():
        padded = padded.replace(f" {said} ", f" {official} ")
    return padded.split()[:MAX_WORDS]


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (Damerau-Levenshtein) distance, cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_distance(word: str) -> int:
    if len(word) <= 3:
        return 0
    return 1 if len(word) <= 6 else 2


def correct(words: list[str]) -> tuple[list[str], list[bool]]:
    """Each word corrected against the vocabulary, and whether it may be a prefix."""
    if not words:
        return [], []
    # The three reads are prepared statements (tinhso.core.prepared): a cold search runs
    # them every time, and parsing and planning them cost more than running them (issue 12).
    known = set(prepared(SearchTerm.objects.filter(word__in=words)).values_list("word", flat=True))
    corrected, prefix = [], []
    for position, word in enumerate(words):
        is_last = position == len(words) - 1
        if word in known or word.isdigit():
            corrected.append(word)
            prefix.append(is_last and not word.isdigit())
            continue
        if is_last and list(
            prepared(SearchTerm.objects.filter(word__startswith=word)).values_list("pk")[:1]
        ):
            corrected.append(word)
            prefix.append(True)
            continue
        limit = _allowed_distance(word)
        best = word
        if limit:
            candidates = prepared(
                SearchTerm.objects.filter(
                    length__gte=len(word) - limit, length__lte=len(word) + limit
                )
            ).values_list("word", flat=True)
            letters = set(word)
            # Each edit adds or removes at most one letter on each side, so a word whose
            # letters differ from the query word's by more than 2 × limit is farther than
            # limit: skipped without the distance's table (a typo's 600 candidates were most
            # of a cold search's CPU, issue 12). The same words remain within the limit.
            scored = sorted(
                (distance(word, candidate, limit), candidate)
                for candidate in candidates
                if len(letters.symmetric_difference(candidate)) <= 2 * limit
            )
            if scored and scored[0][0] <= limit:
                best = scored[0][1]
        corrected.append(best)
        prefix.append(False)
    return corrected, prefix


def _fts_sqlite(words: list[str], prefix: list[bool], *, every: bool) -> list[tuple[int, float]]:
    terms = [f'"{w}"' + ("*" if p else "") for w, p in zip(words, prefix, strict=True)]
    match = (" AND " if every else " OR ").join(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, bm25(catalogue_procedure_fts, 10.0, 1.0) FROM catalogue_procedure_fts "
            "WHERE catalogue_procedure_fts MATCH %s ORDER BY 2",
            [match],
        )
        return [(row[0], -float(row[1])) for row in cursor.fetchall()]


# search_vector is a stored generated column with a GIN index (migration 0002).
_PG_SQL = (
    "SELECT id, ts_rank_cd(search_vector, q) FROM catalogue_procedure, "
    "to_tsquery('simple', %s) q WHERE search_vector @@ q ORDER BY 2 DESC"
)


def _fts_postgres(words: list[str], prefix: list[bool], *, every: bool) -> list[tuple[int, float]]:
    terms = [w + (":*" if p else "") for w, p in zip(words, prefix, strict=True)]
    query = (" & " if every else " | ").join(terms)
    with prepared_cursor() as cursor:
        cursor.execute(_PG_SQL, [query])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def full_text(words: list[str], prefix: list[bool]) -> list[tuple[int, float]]:
    """(procedure id, database rank) of matching procedures; all words first, else any."""
    return full_text_matches(words, prefix)[0]


def full_text_matches(words: list[str], prefix: list[bool]) -> tuple[list[tuple[int, float]], bool]:
    """As `full_text`, and whether the hits hold every word (True) or only some (False)."""
    words = [re.sub(r"[^a-z0-9]", "", w) for w in words]
    pairs = [(w, p) for w, p in zip(words, prefix, strict=True) if w]
    if not pairs:
        return [], True
    words, prefix = [w for w, _ in pairs], [p for _, p in pairs]
    run = _fts_postgres if connection.vendor == "postgresql" else _fts_sqlite
    hits = run(words, prefix, every=True)
    if not hits and len(words) > 1:
        return run(words, prefix, every=False), False
    return hits, True


def _strip_filler(name_key: str) -> str:
    for filler in _FILLER_PREFIXES:
        if name_key.startswith(filler):
            return name_key[len(filler) :]
    return name_key


def words_in_name(name_key: str, words: list[str], prefix: list[bool]) -> int:
    """How many of the query words the folded name holds (the last may be a prefix)."""
    tokens = _strip_filler(name_key).split()
    present = 0
    for word, is_prefix in zip(words, prefix, strict=True):
        if word in tokens or (is_prefix and any(t.startswith(word) for t in tokens)):
            present += 1
    return present


def name_score(name_key: str, words: list[str], prefix: list[bool]) -> float:
    """How well a folded name matches the query words (higher is better)."""
    name = _strip_filler(name_key)
    tokens = name.split()
    present = words_in_name(name_key, words, prefix)
    score = 10.0 * present / len(words)
    phrase = " ".join(words)
    padded = f" {name} "
    if f" {phrase} " in padded or (prefix and prefix[-1] and f" {phrase}" in padded):
        score += 5.0
        if name.startswith(phrase) or name.endswith(phrase):
            score += 1.0
    if name == phrase:
        score += 5.0
    score -= 0.15 * max(len(tokens) - len(words), 0)
    return score


def search(
    q: str = "",
    *,
    field: str | None = None,
    agency: str | None = None,
    level: str | None = None,
    online_type: str | None = None,
    limit: int = 20,
    offset: int = 0,
    include_inactive: bool = False,
) -> SearchPage:
    """Published procedures matching `q` and the filters, best match first."""
    asked = question(
        q,
        field=field,
        agency=agency,
        level=level,
        online_type=online_type,
        limit=limit,
        offset=offset,
        include_inactive=include_inactive,
    )
    return answer(asked, generation.current())


@dataclass(frozen=True)
class Question:
    """A search as it is answered: the folded words (or the procedure code), the filters and
    the page. Two queries that differ only in case, diacritics or spaces are one question;
    every answer (the cached ranking, the API's cached body) is keyed by it."""

    words: tuple[str, ...]
    code: str | None  # the query is a procedure code (1.001193)
    filters: _Filters
    limit: int
    offset: int


def question(
    q: str = "",
    *,
    field: str | None = None,
    agency: str | None = None,
    level: str | None = None,
    online_type: str | None = None,
    limit: int = 20,
    offset: int = 0,
    include_inactive: bool = False,
) -> Question:
    """The question `q` and the filters ask (no database read)."""
    code = q.strip()
    return Question(
        words=tuple(plain_words(q)),
        code=code if _CODE.match(code) else None,
        filters=_Filters(field, agency, level, online_type, include_inactive),
        limit=limit,
        offset=offset,
    )


def answer(asked: Question, token: int | None) -> SearchPage:
    """The answer to `asked` under the catalogue's generation `token` (`generation.current()`,
    read by the caller; None: no generation row, nothing cached)."""
    words, filters = list(asked.words), asked.filters
    by_code = asked.code is not None
    code = asked.code or ""
    limit, offset = asked.limit, asked.offset
    include_inactive = filters.include_inactive
    key = None
    if token is not None:
        what = (token, asked.code, words, filters, limit, offset)
        key = "catalogue.search:" + hashlib.sha256(repr(what).encode()).hexdigest()
    ranked = _cached(key)
    items = None
    if ranked is not None:
        items = _page(ranked[0], include_inactive=include_inactive)
        if len(items) < len(ranked[0]):  # a row changed behind the actions' back: rank again
            ranked = items = None
    if ranked is None:
        ranked = _ranking(words, code, by_code, filters, limit=limit, offset=offset)
        _store(key, ranked)
    ids, count, corrected, exact = ranked
    if items is None:
        items = _page(ids, include_inactive=include_inactive)
    return SearchPage(items=items, count=count, corrected=corrected, exact=exact)


_Ranked = tuple[list[int], int, str, bool]  # page ids, total, corrected query, exact


def _cached(key: str | None) -> _Ranked | None:
    if key is None:
        return None
    try:
        value: _Ranked | None = cache.get(key)
    except Exception:  # a shared cache that is down costs a ranking, not the search
        _log.warning("catalogue search cache unavailable", exc_info=True)
        return None
    return value


def _store(key: str | None, ranked: _Ranked) -> None:
    if key is None:
        return
    try:
        cache.set(key, ranked, CACHE_SECONDS)
    except Exception:
        _log.warning("catalogue search cache unavailable", exc_info=True)


def _ranking(
    words: list[str], code: str, by_code: bool, filters: _Filters, *, limit: int, offset: int
) -> _Ranked:
    """The page's ids, the total, the corrected query and exactness, uncached."""
    if words and not by_code:
        corrected_words, prefix = correct(words)
        return _ranked(corrected_words, prefix, filters, limit=limit, offset=offset)
    base: QuerySet[Procedure] = Procedure.objects.filter(current_version__isnull=False)
    if not filters.include_inactive:
        base = base.filter(is_active=True)
    if filters.field:
        base = base.filter(field__code=filters.field)
    if filters.agency:
        base = base.filter(agency__code=filters.agency)
    if filters.online_type:
        base = base.filter(current_version__online_type=filters.online_type)
    level = filters.level
    scored: list[tuple[float, int]]
    if by_code:
        rows = base.filter(code=code).values("id", "levels")
        scored = [(100.0, row["id"]) for row in rows if _level_ok(row["levels"], level)]
        corrected_words = [code]
    else:
        rows = base.values("id", "levels", "popularity")
        scored = [
            (float(row["popularity"]), row["id"]) for row in rows if _level_ok(row["levels"], level)
        ]
        corrected_words = []
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    page_ids = [pk for _, pk in scored[offset : offset + limit]]
    return page_ids, len(scored), " ".join(corrected_words), True


class Named(NamedTuple):
    """A listed procedure's field or agency: what a list prints of it."""

    code: str
    name: str


class ListedVersion(NamedTuple):
    """What a result list shows of a procedure's current version (its type, channels,
    processing time and fee), read as plain values: the e-form, its layout and the long
    texts stay in the database. Same names as `ProcedureVersion`'s."""

    online_type: str
    channels: list[str]
    fees: list[dict[str, Any]]
    processing_days: Decimal | None
    processing_hours: Decimal | None
    processing_note: str

    def get_online_type_display(self) -> str:
        try:
            return str(ProcedureVersion.OnlineType(self.online_type).label)
        except ValueError:
            return self.online_type

    @property
    def processing_label(self) -> str:
        return processing_label(self.processing_days, self.processing_hours, self.processing_note)

    @property
    def total_fee(self) -> int:
        return total_fee(self.fees)


class ListedProcedure(NamedTuple):
    """One procedure of a result list: a tuple of the columns the search page, the API's
    summary and the counter's picker print, not a model instance (a warm search is mostly
    this page; three model instances a row cost more than the rest of it). Same names as
    `Procedure`'s, so a template or `catalogue.api.summary` reads either."""

    pk: int
    code: str
    name: str
    levels: list[str]
    agency_id: int | None
    field: Named
    agency: Named | None
    current_version: ListedVersion


_LIST_COLUMNS = (
    "id",
    "code",
    "name",
    "levels",
    "agency_id",
    "field__code",
    "field__name",
    "agency__code",
    "agency__name",
    "current_version__online_type",
    "current_version__channels",
    "current_version__fees",
    "current_version__processing_days",
    "current_version__processing_hours",
    "current_version__processing_note",
)


def _page(page_ids: list[int], *, include_inactive: bool = False) -> list[ListedProcedure]:
    """The page's procedures in `page_ids` order, with what a list shows, in one query; read
    fresh, still published and active (a cached ranking never shows a withdrawn one)."""
    if not page_ids:
        return []
    rows = prepared(Procedure.objects.filter(current_version__isnull=False, pk__in=page_ids))
    if not include_inactive:
        rows = rows.filter(is_active=True)
    by_id: dict[int, ListedProcedure] = {}
    for row in rows.order_by().values_list(*_LIST_COLUMNS):
        pk, code, name, levels, agency_id, f_code, f_name, a_code, a_name, *version = row
        by_id[pk] = ListedProcedure(
            pk,
            code,
            name,
            levels,
            agency_id,
            Named(f_code, f_name),
            Named(a_code, a_name) if agency_id is not None else None,
            ListedVersion(*version),
        )
    return [by_id[pk] for pk in page_ids if pk in by_id]


@dataclass(frozen=True)
class _Filters:
    field: str | None
    agency: str | None
    level: str | None
    online_type: str | None
    include_inactive: bool


def _ranked(
    words: list[str], prefix: list[bool], filters: _Filters, *, limit: int, offset: int
) -> _Ranked:
    """The full-text hits ranked in the database (`_RANK_SQL`): only the page's ids and the
    total come back, then the page's rows. All words first; when no procedure holds them all,
    any word, keeping names that hold at least half of them (``exact=False``)."""
    cleaned = [re.sub(r"[^a-z0-9]", "", w) for w in words]
    pairs = [(w, p) for w, p in zip(cleaned, prefix, strict=True) if w]
    corrected = " ".join(words)
    if not pairs:
        return [], 0, corrected, True
    terms, prefix = [w for w, _ in pairs], [p for _, p in pairs]
    ids, count = _rank(terms, prefix, filters, every=True, limit=limit, offset=offset)
    exact = True
    if not ids and len(terms) > 1 and not _any_hit(terms, prefix):
        exact = False
        ids, count = _rank(terms, prefix, filters, every=False, limit=limit, offset=offset)
    return ids, count, corrected, exact


def _any_hit(words: list[str], prefix: list[bool]) -> bool:
    """Whether some procedure, of any state, holds every word (the index alone)."""
    run = _fts_postgres if connection.vendor == "postgresql" else _fts_sqlite
    return bool(run(words, prefix, every=True))


def _rank(
    words: list[str],
    prefix: list[bool],
    filters: _Filters,
    *,
    every: bool,
    limit: int,
    offset: int,
) -> tuple[list[int], int]:
    """(the page's procedure ids, how many match) from one query; the order is `name_score`,
    then popularity and the index's rank, written in SQL (see the module docstring, 4)."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        match = (" & " if every else " | ").join(
            w + (":*" if p else "") for w, p in zip(words, prefix, strict=True)
        )
        # The hits carry the columns the ranking reads, from the same scan: joining them
        # back to catalogue_procedure by id was one primary-key probe per hit (1,003 for
        # "cap"), the longest part of the slowest cold searches (issue 12).
        hits = (
            "SELECT id, ts_rank_cd(search_vector, q) AS rank, popularity, name_key, is_active,"
            " current_version_id, field_id, agency_id, levels"
            " FROM catalogue_procedure, to_tsquery('simple', %s) q WHERE search_vector @@ q"
        )
        source = "hits p"
    else:
        match = (" AND " if every else " OR ").join(
            f'"{w}"' + ("*" if p else "") for w, p in zip(words, prefix, strict=True)
        )
        hits = (
            "SELECT rowid AS id, -bm25(catalogue_procedure_fts, 10.0, 1.0) AS rank "
            "FROM catalogue_procedure_fts WHERE catalogue_procedure_fts MATCH %s"
        )
        source = "hits JOIN catalogue_procedure p ON p.id = hits.id"
    params: list[Any] = [match]
    where = ["p.current_version_id IS NOT NULL"]
    joins = []
    if not filters.include_inactive:
        where.append("p.is_active = %s")
        params.append(True)
    if filters.field:
        joins.append("JOIN catalogue_field f ON f.id = p.field_id")
        where.append("f.code = %s")
        params.append(filters.field)
    if filters.agency:
        joins.append("JOIN places_agency a ON a.id = p.agency_id")
        where.append("a.code = %s")
        params.append(filters.agency)
    if filters.online_type:
        joins.append("JOIN catalogue_procedureversion v ON v.id = p.current_version_id")
        where.append("v.online_type = %s")
        params.append(filters.online_type)
    if filters.level:
        if postgres:
            where.append("p.levels @> jsonb_build_array(%s::text)")
        else:
            where.append("EXISTS (SELECT 1 FROM json_each(p.levels) l WHERE l.value = %s)")
        params.append(filters.level)
    # name_score: each word present (the last may be a prefix), the phrase, the name starting
    # or ending with it, the name being it, fewer extra words. Words are [a-z0-9] only, so
    # they go into LIKE patterns as they are.
    n = len(words)
    phrase = " ".join(words)
    last_prefix = prefix[-1]
    present = " + ".join("CASE WHEN padded LIKE %s THEN 1 ELSE 0 END" for _ in words)
    present_params = [f"% {w}%" if p else f"% {w} %" for w, p in zip(words, prefix, strict=True)]
    score = (
        f"10.0 * ({present}) / {n}"
        " + CASE WHEN padded LIKE %s THEN"
        " 5.0 + CASE WHEN padded LIKE %s OR padded LIKE %s THEN 1.0 ELSE 0.0 END ELSE 0.0 END"
        " + CASE WHEN padded = %s THEN 5.0 ELSE 0.0 END"
        f" - 0.15 * CASE WHEN tokens > {n} THEN tokens - {n} ELSE 0 END"
        " + CASE WHEN popularity > 10000 THEN 10000 ELSE popularity END / 10000.0"
        " + 0.5 * rank / CASE WHEN top = 0 THEN 1.0 ELSE top END"
    )
    score_params = [
        *present_params,
        f"% {phrase}%" if last_prefix else f"% {phrase} %",
        f" {phrase}%",
        f"%{phrase} ",
        f" {phrase} ",
    ]
    near = "" if every else f"WHERE 2 * ({present}) >= {n}"
    near_params = [] if every else present_params
    sql = f"""
        WITH hits AS (
            SELECT found.*, MAX(ABS(rank)) OVER () AS top FROM ({hits}) found
        ), named AS (
            SELECT p.id, p.popularity, rank, top,
                ' ' || CASE WHEN p.name_key LIKE 'thu tuc %%' THEN SUBSTR(p.name_key, 9)
                    ELSE p.name_key END || ' ' AS padded
            FROM {source} {" ".join(joins)}
            WHERE {" AND ".join(where)}
        ), counted AS MATERIALIZED (
            SELECT id, padded, popularity, rank, top,
                LENGTH(padded) - LENGTH(REPLACE(padded, ' ', '')) - 1 AS tokens
            FROM named
        )
        SELECT id, COUNT(*) OVER () AS total, {score} AS score
        FROM counted {near}
        ORDER BY score DESC, id LIMIT %s OFFSET %s
    """  # noqa: S608 (every value is a parameter; the fragments are fixed text)
    # prepared on PostgreSQL: one statement per number of words and set of filters, parsed
    # and planned once per connection (tinhso.core.prepared)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, *score_params, *near_params, limit, offset])
        rows = cursor.fetchall()
    if rows:
        return [row[0] for row in rows], int(rows[0][1])
    if offset:  # past the last page: the count still says how many there are
        _ids, count = _rank(words, prefix, filters, every=every, limit=1, offset=0)
        return [], count
    return [], 0


def _level_ok(levels: list[str], level: str | None) -> bool:
    return not level or level in (levels or [])
