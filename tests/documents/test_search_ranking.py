"""Ranked full-text search (FTS5 on SQLite, tsvector/ts_rank on PostgreSQL): best match first,
case- and diacritic-insensitive (đ → d), prefixes and phrases, filters kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from tinhso.documents import actions, queries
from tinhso.documents.models import Document

from .test_views import _sign_in


@pytest.fixture
def corpus(offices):
    """Documents of SXD, created oldest first (so newest-first order is the reverse)."""
    agency = offices["SXD"].agency

    def make(subject: str, content: str = "", **fields) -> Document:
        fields.setdefault("direction", "incoming")
        fields.setdefault("state", "received")
        fields.setdefault("doc_type", "CV")
        doc = Document.objects.create(agency=agency, subject=subject, content=content, **fields)
        actions._index(doc)
        doc.save()
        return doc

    docs = {
        "subject": make("Quyết định giao đất đai cho hộ gia đình", "Giao đất ở."),
        "content": make(
            "Báo cáo tình hình thực hiện",
            "Thực hiện quyết định số 12, quyết định số 13 và các quyết định khác.",
        ),
        "phrase": make("Kế hoạch kiểm tra công trình xây dựng năm 2026", doc_type="KH"),
        "scattered": make("Kiểm tra việc lập kế hoạch vốn", "Xây dựng công trình."),
        "numbered": make("Về việc phê duyệt dự án", number="15", notation="QĐ-UBND", doc_type="QD"),
    }
    return offices["SXD"], docs


def _incoming(agency, subject: str) -> Document:
    """An incoming letter of type CV with `subject`, indexed as the actions index it."""
    doc = Document.objects.create(
        agency=agency, subject=subject, direction="incoming", state="received", doc_type="CV"
    )
    actions._index(doc)
    doc.save()
    return doc


def _subjects(result) -> list[str]:
    return [d.subject for d in result]


def test_a_subject_match_ranks_above_a_content_only_match(corpus):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    result = list(queries.search(visible, "quyet dinh"))
    # Newest first would put the report first; the subject match wins.
    assert result == [docs["subject"], docs["content"]]


def test_case_and_diacritics_do_not_matter_and_d_folds(corpus):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    expected = [docs["subject"], docs["content"]]
    for text in ("Quyết định", "QUYẾT ĐỊNH", "quyet dinh", "QuYeT DiNh"):
        assert list(queries.search(visible, text)) == expected, text
    for text in ("đất đai", "dat dai", "ĐẤT ĐAI", "Dat Dai"):
        assert list(queries.search(visible, text)) == [docs["subject"]], text


def test_the_last_word_is_a_prefix_and_quotes_make_a_phrase(corpus):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    assert list(queries.search(visible, "phe duy")) == [docs["numbered"]]
    assert list(queries.search(visible, "phe duy ")) == []  # a finished word is not a prefix
    both = list(queries.search(visible, "kế hoạch kiểm tra"))
    assert both == [docs["phrase"], docs["scattered"]]  # newest first would be the reverse
    assert list(queries.search(visible, '"kế hoạch kiểm tra"')) == [docs["phrase"]]
    assert list(queries.search(visible, '"kiem tra" von')) == [docs["scattered"]]


def test_a_one_letter_last_word_being_typed_does_not_empty_the_results(corpus):
    """A query "quyet d": the last word is too short to be a prefix; searched as the whole word "d"
    it found nothing while the person was still typing. It is left out until it grows."""
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    expected = list(queries.search(visible, "quyet dinh"))
    assert expected == [docs["subject"], docs["content"]]
    for text in ("quyet d", "Quyết đ", "quyet dinh g", '"quyet dinh" g'):
        assert list(queries.search(visible, text)) == expected, text
    assert list(queries.search(visible, "quyết định giao đ")) == [docs["subject"]]
    assert list(queries.search(visible, "quyet di")) == expected  # a prefix, as before
    assert list(queries.search(visible, "ke hoach kiem t")) == [docs["phrase"], docs["scattered"]]
    # Only while it is being typed: a finished letter (a space after it) is a word.
    assert list(queries.search(visible, "quyet d ")) == []


def test_one_letter_words_are_kept_unless_last_after_others():
    parse = queries.parse_query
    T = queries.Term
    assert parse("quyet d") == [T(("quyet",))]
    assert parse("quyet dinh thanh l") == [T(("quyet",)), T(("dinh",)), T(("thanh",))]
    assert parse('"ke hoach" k') == [T(("ke", "hoach"))]
    assert parse("d") == [T(("d",))]  # alone: kept (it is the whole query)
    assert parse("d ") == [T(("d",))]
    assert parse("quyet d ") == [T(("quyet",)), T(("d",))]  # finished: a word
    assert parse("o quyet") == [T(("o",)), T(("quyet",), prefix=True)]  # not last
    assert parse("quyet dinh 5") == [T(("quyet",)), T(("dinh",)), T(("5",))]  # a digit
    assert parse("15/Q") == [T(("15", "q"))]  # one token of two words: a phrase
    assert parse("quyet di") == [T(("quyet",)), T(("di",), prefix=True)]


def test_number_and_notation_are_searchable(corpus):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    assert list(queries.search(visible, "15/QĐ-UBND")) == [docs["numbered"]]
    assert list(queries.search(visible, "16/QĐ-UBND")) == []


def test_filters_are_kept_with_ranking(corpus, offices):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    assert list(queries.search(visible, "ke hoach", doc_type="KH")) == [docs["phrase"]]
    assert list(queries.search(visible, "quyet dinh", state="registered")) == []
    assert list(queries.search(visible, "quyet dinh", agency_id=offices["STP"].agency.pk)) == []
    register = actions.register_for(sxd.agency, 2026, "incoming")
    Document.objects.filter(pk=docs["content"].pk).update(register=register, register_number=1)
    assert list(queries.search(visible, "quyet dinh", register_id=register.pk)) == [docs["content"]]
    # The period is the document's date, or the day it was created when it has none.
    Document.objects.filter(pk=docs["subject"].pk).update(document_date=date(2026, 1, 5))
    january = {"date_from": date(2026, 1, 1), "date_to": date(2026, 1, 31)}
    assert list(queries.search(visible, "quyet dinh", **january)) == [docs["subject"]]
    today = timezone.localdate()
    recent = {"date_from": today - timedelta(days=1), "date_to": today}
    assert list(queries.search(visible, "quyet dinh", **recent)) == [docs["content"]]
    # Words that match nothing, and nothing of another agency.
    assert queries.search(visible, "khong co tu nay").count() == 0
    other = queries.visible_documents(offices["STP"].clerk)
    assert queries.search(other, "quyet dinh").count() == 0


def test_punctuation_only_queries_do_not_break_search(corpus):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    for text in ('"', '""', "!!! ???", "*", "AND OR NOT", "a:* & | !", "(x"):
        list(queries.search(visible, text))  # no database error
    assert queries.search(visible, '"').count() == len(docs)  # no words: no text filter
    assert list(queries.search(visible, "NOT quyet")) == []  # NOT is a word, not an operator


def test_the_index_follows_updates(corpus):
    sxd, docs = corpus
    visible = queries.visible_documents(sxd.clerk)
    doc = docs["scattered"]
    doc.subject = "Thông báo lịch tiếp công dân"
    actions._index(doc)
    doc.save()
    assert list(queries.search(visible, "tiep cong dan")) == [doc]
    assert docs["scattered"] not in list(queries.search(visible, "lap ke hoach von"))
    doc.delete()
    assert list(queries.search(visible, "tiep cong dan")) == []


def test_search_over_the_api_is_ranked(client, corpus):
    sxd, docs = corpus
    _sign_in(client, sxd.clerk)
    response = client.get("/api/v1/documents", {"q": "QUYẾT ĐỊNH"})
    assert [d["id"] for d in response.json()] == [docs["subject"].pk, docs["content"].pk]
    by_type = client.get("/api/v1/documents", {"q": "kiem tra", "doc_type": "KH"}).json()
    assert [d["id"] for d in by_type] == [docs["phrase"].pk]
    period = client.get(
        "/api/v1/documents", {"q": "quyet dinh", "date_from": "2020-01-01", "date_to": "2020-12-31"}
    ).json()
    assert period == []


@pytest.mark.parametrize("first", [1, 2, 3, 4, 6, 50])
def test_the_first_page_alone_is_ranked_as_every_match_would_be(corpus, first):
    """`first` (a page's length): on PostgreSQL the page is filled from the subject phrase's
    indexed word pairs when they fill it, the rest of the matches unranked; the page is the
    full ranking's first `first` either way, in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sxd, _ = corpus
    agency = sxd.agency

    def make(subject: str, content: str = "", **fields) -> Document:
        doc = Document.objects.create(
            agency=agency,
            subject=subject,
            content=content,
            direction="incoming",
            state="received",
            doc_type=fields.pop("doc_type", "CV"),
            **fields,
        )
        actions._index(doc)
        doc.save()
        return doc

    make("Quyết định giao đất cho xã")  # phrase "quyet dinh giao"
    make("Về quyết định giao nhiệm vụ năm 2026")  # phrase, another rank
    make("Giao quyết định cho phòng")  # every word, not as a phrase
    make("Quyết định giao đất", doc_type="QD")  # phrase, another type
    make("Thông báo", "Quyết định giao đất ở, quyết định giao rừng.")  # content only
    make("Quyết định giao giao quyết định")  # phrase twice
    make("Quyết định về định giao đất")  # both pairs of "quyet dinh giao", not the phrase
    make("Giao thông nông thôn")  # "giao th…" as a phrase, three ways below
    make("Kế hoạch triển khai giao thương")
    make("Giao thủy lợi cho xã", doc_type="TB")
    make("Thông báo giao việc")  # "giao" and "th…", not as a phrase
    make("Về việc", "Giao thông đô thị.")  # content only
    make("Kế hoạch trồng rừng")
    make("Triển khai kế hoạch")  # "ke hoach tr…" words, not the phrase
    visible = queries.visible_documents(sxd.clerk)
    for text, kwargs in [
        ("quyet dinh gi", {}),
        ("quyet dinh giao ", {}),
        ("quyet dinh gi", {"doc_type": "CV"}),
        ('"dat dai" cho', {}),
        ("ke hoach kiem", {}),
        ("giao quyet", {}),
        ("quyet", {}),  # one word: no pairs, every match ranked
        ("quyet dinh giao d", {}),  # a letter being typed: left out, "giao" a whole word
        ("quyet dinh g", {}),
        ("giao q", {}),
        # A last word being typed: the last pair a prefix of the indexed pairs.
        ("giao th", {}),
        ("Giao th", {"doc_type": "CV"}),
        ("giao thon", {}),
        ("quyet d", {}),
        ("ke hoach t", {}),
        ("ke hoach tr", {}),
        ("ke hoach trien kh", {}),
        ('"ke hoach" tr', {}),
        ("quyet dinh giao da", {}),
    ]:
        every = list(queries.search(visible, text, **kwargs))
        with CaptureQueriesContext(connection) as queries_run:
            page = list(queries.search(visible, text, first=first, **kwargs)[:first])
        assert page == every[:first], (text, kwargs)
        assert len(queries_run) == 1
        # The pairs are read in the subqueries, by their own alias: naming the outer table
        # there would check the outer row's pairs, a correlated scan of every document.
        assert '"documents_document".subject_pairs' not in queries_run[0]["sql"]


def test_a_last_word_being_typed_keeps_the_phrase_first(corpus):
    """ "giao th": the subject holding "giao" then a word beginning with "th" comes first, as
    "giao thong" will once the word is finished. PostgreSQL's phrase used to take the last
    word whole (the phrase "giao th" matched nothing) and ranked by rank and age alone; FTS5
    on SQLite already kept the prefix."""
    sxd, _ = corpus

    def make(subject: str) -> Document:
        return _incoming(sxd.agency, subject)

    # The same words and distances, so the same rank: the newest first if nothing else
    # decided, the reverse of the phrase's order.
    road = make("Giao thông")
    trade = make("Giao thương")
    reversed_ = make("Thông giao")
    visible = queries.visible_documents(sxd.clerk)
    for text in ("giao th", "Giao th", "GIAO TH", "giao  th"):
        assert list(queries.search(visible, text)) == [trade, road, reversed_], text
    assert list(queries.search(visible, "giao tho")) == [road, reversed_]


def test_a_letter_being_typed_ends_the_phrase(corpus):
    """ "quyet d": the results are those of "quyet" (the letter is left out of the terms), and
    the subjects holding "quyet" then a word beginning with "d" come first, as "quyet dinh"
    will. Before, "quyet" alone ranked them by rank and age."""
    sxd, _ = corpus

    def make(subject: str) -> Document:
        return _incoming(sxd.agency, subject)

    decision = make("Quyết định giao rừng")
    settlement = make("Quyết toán dự án")  # newer, the same rank: first if age decided
    visible = queries.visible_documents(sxd.clerk)
    every = list(queries.search(visible, "quyet"))
    for text in ("quyet d", "Quyết đ", "quyet t"):
        result = list(queries.search(visible, text))
        assert set(result) == set(every), text  # the same documents as "quyet"
    for text, before, after in [
        ("quyet d", decision, settlement),
        ("Quyết đ", decision, settlement),
        ("quyet t", settlement, decision),
    ]:
        result = list(queries.search(visible, text))
        assert result.index(before) < result.index(after), text


def test_a_last_word_being_typed_is_read_from_the_word_pairs(corpus):
    """PostgreSQL: "giao th" asks the indexed pairs for the prefix `'2026 giao th':*`, so the first
    page is read from them, not from every document holding "giao" and a word in "th…"."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the word pairs are PostgreSQL's (migrations 0010, 0011)")
    sxd, _ = corpus
    visible = queries.visible_documents(sxd.clerk)
    for text, pairs in [
        ("giao th", "'Y giao th':*"),  # the year (`Y`) is put in by the step, in SQL
        ("ke hoach tr", "'Y ke hoach' & 'Y hoach tr':*"),
        ('"quyet dinh" gi', "'Y quyet dinh' & 'Y dinh gi':*"),
        ("quyet d", "'Y quyet d':*"),  # the letter is left out of the terms, not of the phrase
        ("ke hoach t", "'Y ke hoach' & 'Y hoach t':*"),
    ]:
        with CaptureQueriesContext(connection) as queries_run:
            list(queries.search(visible, text, first=20)[:20])
        assert pairs.replace("'", "''") in queries_run[0]["sql"], text  # as an SQL literal


def test_the_phrase_group_is_newest_first_across_years(corpus):
    """Inside the phrase group the newest comes first, whatever the content's repeats; on
    PostgreSQL the group is read a year at a time, newest year first, and a page that one
    year cannot fill goes on into the years before, in the same order as the full ranking.
    The content-only and scattered matches still come after the whole group."""
    sxd, _ = corpus
    made = {}
    for year, month, name, content in [
        (2023, 6, "oldest", "Kế hoạch phòng chống thiên tai, kế hoạch phòng chống thiên tai."),
        (2024, 12, "year_end", ""),
        (2025, 1, "new_year", ""),
        (2025, 7, "mid", ""),
        (2026, 3, "newest", ""),
    ]:
        doc = _incoming(sxd.agency, f"Kế hoạch phòng chống thiên tai {name}")
        if content:
            doc.content = content
            actions._index(doc)
            doc.save()
        Document.objects.filter(pk=doc.pk).update(
            created_at=datetime(year, month, 1, 0, 30, tzinfo=UTC)
        )
        made[name] = doc
    # 1 January 2025 at 06:00 in Hà Nội is still 31 December 2024 in UTC: the years are only
    # buckets of time, and time's order is kept across them.
    edge = _incoming(sxd.agency, "Kế hoạch phòng chống thiên tai edge")
    Document.objects.filter(pk=edge.pk).update(created_at=datetime(2024, 12, 31, 23, 0, tzinfo=UTC))
    scattered = _incoming(sxd.agency, "Phòng chống kế hoạch thiên tai")  # newest, not the phrase
    visible = queries.visible_documents(sxd.clerk)
    expected = ["newest", "mid", "new_year", "edge", "year_end", "oldest"]
    by_name = {**made, "edge": edge}
    every = list(queries.search(visible, "ke hoach phong chong thien tai"))
    assert every[: len(expected)] == [by_name[n] for n in expected]
    assert every[len(expected)] == scattered
    for text in ("ke hoach phong chong thien tai", "ke hoach phong ch", "ke hoach phong c"):
        every = list(queries.search(visible, text))
        for first in (1, 2, 3, 5, 6, 7, 20):
            assert list(queries.search(visible, text, first=first)[:first]) == every[:first], (
                text,
                first,
            )


def test_the_group_is_read_by_its_own_alias_from_an_unfiltered_base(corpus):
    """PostgreSQL: from `Document.objects.all()` (no filter of its own), the phrase group's
    subqueries still name their own table: a pair test naming the outer row turned the
    page-is-full check into a per-row test, and every match was ranked again."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the word pairs are PostgreSQL's (migrations 0010, 0011)")
    every = list(queries.search(Document.objects.all(), "ke hoach kiem"))
    with CaptureQueriesContext(connection) as queries_run:
        page = list(queries.search(Document.objects.all(), "ke hoach kiem", first=1)[:1])
    assert page == every[:1]
    sql = queries_run[0]["sql"]
    assert "subject_pairs" in sql
    outer = re.findall(r'FROM "documents_document" (\w+)', sql)
    named = set(re.findall(r"(\w+)\.subject_pairs", sql))
    assert named and all(alias.startswith("U") for alias in named), (named, outer)


def test_postgresql_connections_do_not_compile_queries(db):
    """PostgreSQL's JIT compiled the search's query for 1.3 s when its estimated cost passed
    `jit_above_cost` (the year steps are estimated over a thousand years); the settings turn
    it off for every connection, keeping any `options` a DATABASE_URL brings."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_search_of_one_type_reads_that_types_pairs(corpus):
    """PostgreSQL: with a type, the first page reads the pairs indexed with that type
    (`'2026/CV giao th':*`), not every type's pairs of the year; a type that could not stand
    in a lexeme as it is (a quote, a space) reads every type's and filters the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the word pairs are PostgreSQL's (migrations 0010, 0011)")
    sxd, _ = corpus
    road = _incoming(sxd.agency, "Giao thông nông thôn")
    Document.objects.filter(pk=road.pk).update(doc_type="C'V")
    trade = _incoming(sxd.agency, "Giao thương biên giới")
    visible = queries.visible_documents(sxd.clerk)
    for doc_type, pairs, found in [
        ("CV", "'Y/CV giao th':*", [trade]),
        ("C'V", "'Y giao th':*", [road]),
        ("QD", "'Y/QD giao th':*", []),
    ]:
        with CaptureQueriesContext(connection) as queries_run:
            page = list(queries.search(visible, "giao th", doc_type=doc_type, first=20)[:20])
        assert page == found, doc_type
        assert pairs.replace("'", "''") in queries_run[0]["sql"], doc_type
