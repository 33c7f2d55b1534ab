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
4. Candidates are re-ranked by how well the *name* matches: every word present, the words as
   one phrase, the name beginning with the phrase, fewer extra words, then popularity and the
   database's own rank. So "khai sinh" puts "Đăng ký khai sinh" before "Đăng ký lại khai sinh".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from tinhso.catalogue.models import Procedure, SearchTerm
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


@dataclass(frozen=True)
class SearchPage:
    items: list[Procedure]
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
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    corrected, prefix = [], []
    for position, word in enumerate(words):
        is_last = position == len(words) - 1
        if word in known or word.isdigit():
            corrected.append(word)
            prefix.append(is_last and not word.isdigit())
            continue
        if is_last and SearchTerm.objects.filter(word__startswith=word).exists():
            corrected.append(word)
            prefix.append(True)
            continue
        limit = _allowed_distance(word)
        best = word
        if limit:
            candidates = SearchTerm.objects.filter(
                length__gte=len(word) - limit, length__lte=len(word) + limit
            ).values_list("word", flat=True)
            scored = sorted(
                (distance(word, candidate, limit), candidate) for candidate in candidates
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
    with connection.cursor() as cursor:
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
    base: QuerySet[Procedure] = Procedure.objects.filter(current_version__isnull=False)
    if not include_inactive:
        base = base.filter(is_active=True)
    if field:
        base = base.filter(field__code=field)
    if agency:
        base = base.filter(agency__code=agency)
    if online_type:
        base = base.filter(current_version__online_type=online_type)
    words = plain_words(q)
    exact = True
    corrected_words: list[str] = []
    code = q.strip()
    scored: list[tuple[float, int]]
    if _CODE.match(code):
        rows = base.filter(code=code).values("id", "levels")
        scored = [(100.0, row["id"]) for row in rows if _level_ok(row["levels"], level)]
        corrected_words = [code]
    elif words:
        corrected_words, prefix = correct(words)
        hits, exact = full_text_matches(corrected_words, prefix)
        rank_of = {pk: rank for pk, rank in hits}
        rows = base.filter(id__in=list(rank_of)).values("id", "name_key", "levels", "popularity")
        top = max((abs(r) for r in rank_of.values()), default=1.0) or 1.0
        scored = []
        for row in rows:
            if not _level_ok(row["levels"], level):
                continue
            if not exact and 2 * words_in_name(row["name_key"], corrected_words, prefix) < len(
                corrected_words
            ):
                continue  # a near match must name at least half of what was asked
            score = name_score(row["name_key"], corrected_words, prefix)
            score += min(row["popularity"], 10_000) / 10_000
            score += 0.5 * rank_of[row["id"]] / top
            scored.append((score, row["id"]))
    else:
        rows = base.values("id", "levels", "popularity")
        scored = [
            (float(row["popularity"]), row["id"]) for row in rows if _level_ok(row["levels"], level)
        ]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    page_ids = [pk for _, pk in scored[offset : offset + limit]]
    by_id: dict[int, Any] = Procedure.objects.select_related(
        "field", "agency", "current_version"
    ).in_bulk(page_ids)
    return SearchPage(
        items=[by_id[pk] for pk in page_ids],
        count=len(scored),
        corrected=" ".join(corrected_words),
        exact=exact,
    )


def _level_ok(levels: list[str], level: str | None) -> bool:
    return not level or level in (levels or [])
