"""The search's finished answers kept per process and generation (tinhso.catalogue.answers,
issue 12): a repeated anonymous search is one query, and its bytes and headers are those the
view renders without the cache, in each language, until the catalogue's next write."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

import pytest
from django.conf import settings
from django.urls import set_script_prefix

from tests.catalogue.conftest import sign_in
from tests.catalogue.test_lanes import call, environ
from tinhso.catalogue import actions, answers
from tinhso.catalogue.answers import AnswerCache

pytestmark = pytest.mark.django_db

QUERIES = [
    {"q": "dang ky khai sinh"},
    {"q": "ĐĂNG KÝ KHAI SINH"},
    {"q": "dang ki khai sihn"},
    {"q": "khai sinh", "limit": "2", "offset": "1"},
    {"q": "1.001193"},
    {"q": ""},
    {"q": "thuong tru", "online_type": "toan_trinh"},
    {"q": "hộ chiếu đi Mỹ"},
]


class Recording(AnswerCache):
    """The cache, noting each look-up and each answer kept."""

    def __init__(self, max_entries: int = answers.MAX_ENTRIES) -> None:
        super().__init__(max_entries=max_entries)
        self.calls: list[str] = []

    def get(self, token: int, key: Hashable) -> bytes | None:
        self.calls.append("get")
        return super().get(token, key)

    def put(self, token: int, key: Hashable, content: bytes) -> None:
        self.calls.append("put")
        super().put(token, key, content)


@pytest.fixture
def kept(monkeypatch) -> Iterator[Recording]:
    cache = Recording()
    monkeypatch.setattr(answers, "searches", cache)
    yield cache


def answered(client, params: dict[str, str], language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/api/v1/procedures", params)
    assert response.status_code == 200
    return response.content, sorted(response.headers.items())


def uncached(client, monkeypatch, params: dict[str, str], language: str):
    """The view's answer with a cache that keeps nothing."""
    with monkeypatch.context() as m:
        m.setattr(answers, "searches", AnswerCache(max_entries=0))
        return answered(client, params, language)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_kept_answer_is_the_bytes_and_headers_of_a_fresh_one(
    client, civil_status, monkeypatch, kept, django_assert_num_queries, language
):
    for params in QUERIES:
        fresh = uncached(client, monkeypatch, params, language)
        first = answered(client, params, language)
        with django_assert_num_queries(1):  # the generation
            again = answered(client, params, language)

        assert first == fresh, params
        assert again == fresh, params
    assert len(kept) == len(QUERIES) - 1  # the two spellings of "đăng ký khai sinh" share one


def test_each_language_has_its_own_answer(client, civil_status, kept, django_assert_num_queries):
    params = {"q": "dang ky khai sinh"}
    vietnamese = answered(client, params, "vi")
    with django_assert_num_queries(2):  # the generation, the page (its ranking is cached)
        english = answered(client, params, "en")
    with django_assert_num_queries(1):
        assert answered(client, params, "vi") == vietnamese
    with django_assert_num_queries(1):
        assert answered(client, params, "en") == english

    assert b"working day" in english[0] and b"working day" not in vietnamese[0]
    assert ("Content-Language", "en") in english[1]


def test_a_new_query_is_still_four_queries(client, civil_status, django_assert_num_queries, kept):
    with django_assert_num_queries(4):  # generation, vocabulary, ranking, page
        answered(client, {"q": "dang ky khai sinh"}, "vi")
    assert kept.calls == ["get", "put"]


def test_publishing_and_withdrawing_change_the_next_answer(client, publish, civil_status, kept):
    params = {"q": "dang ky khai sinh"}
    before = client.get("/api/v1/procedures", params).json()
    assert before["count"] == 3

    publish("9.000001", "Đăng ký khai sinh")
    published = client.get("/api/v1/procedures", params).json()
    assert published["count"] == 4
    assert published["items"][0]["name"] == "Đăng ký khai sinh"

    actions.set_active(civil_status["birth"], False, actor=None)
    withdrawn = client.get("/api/v1/procedures", params).json()
    assert withdrawn["count"] == 3
    assert "Thủ tục đăng ký khai sinh" not in {item["name"] for item in withdrawn["items"]}
    assert len(kept) == 1  # the older generations' answers are gone


def test_a_signed_in_request_is_answered_fresh_and_not_kept(client, civil_status, staff, kept):
    params = {"q": "dang ky khai sinh"}
    anonymous = client.get("/api/v1/procedures", params)
    kept.calls.clear()
    sign_in(client, staff)

    signed_in = client.get("/api/v1/procedures", params)

    assert kept.calls == []
    assert signed_in.content == anonymous.content  # nothing in it is the person's


def test_a_request_with_credentials_is_answered_fresh(client, civil_status, kept):
    client.get("/api/v1/procedures", {"q": "khai sinh"}, HTTP_AUTHORIZATION="Bearer x")
    assert kept.calls == [] and len(kept) == 0


def test_both_stacks_give_the_kept_bytes(app, civil_status, kept, monkeypatch):
    for language in ("vi", "en"):
        cookie = f"{settings.LANGUAGE_COOKIE_NAME}={language}"
        query = "q=dang+ky+khai+sinh&limit=3"
        with monkeypatch.context() as m:
            m.setattr(answers, "searches", AnswerCache(max_entries=0))
            fresh = call(app.full, environ("GET", "/api/v1/procedures", b"", cookie, query))
        lean = call(app.lean, environ("GET", "/api/v1/procedures", b"", cookie, query))
        full = call(app.full, environ("GET", "/api/v1/procedures", b"", cookie, query))

        assert lean == fresh == full
    assert kept.calls == ["get", "put", "get", "get", "put", "get"]


def test_each_script_prefix_has_its_own_answer(app, civil_status, kept):
    """Behind a proxy that mounts the portal under a path (SCRIPT_NAME), the answer's links
    carry that path: an answer kept for one prefix must not be served under another."""

    def search(script_name: str) -> bytes:
        env = environ("GET", "/api/v1/procedures", query="q=dang+ky+khai+sinh")
        env["SCRIPT_NAME"] = script_name
        status, _headers, body = call(app.lean, env)
        assert status.startswith("200")
        return body

    try:
        root, mounted, again = search(""), search("/cong"), search("/cong")
    finally:
        set_script_prefix("/")  # the handler set it for this thread; later tests reverse()

    assert b'"/cong/thu-tuc/' in mounted and b'"/cong/' not in root
    assert again == mounted
    assert len(kept) == 2


def test_the_cache_is_bounded_by_entries_and_by_bytes():
    by_entries = AnswerCache(max_entries=2, max_bytes=1_000)
    for n in range(3):
        by_entries.put(1, n, b"x")
    assert (by_entries.get(1, 0), by_entries.get(1, 1), by_entries.get(1, 2)) == (None, b"x", b"x")

    by_bytes = AnswerCache(max_entries=100, max_bytes=10)
    by_bytes.put(1, "a", b"12345")
    by_bytes.put(1, "b", b"12345")
    assert by_bytes.get(1, "a") == b"12345"  # "a" used last: "b" goes first
    by_bytes.put(1, "c", b"123")
    assert (by_bytes.get(1, "a"), by_bytes.get(1, "b"), by_bytes.get(1, "c")) == (
        b"12345",
        None,
        b"123",
    )
    assert by_bytes.size == 8
    by_bytes.put(1, "huge", b"x" * 11)
    assert by_bytes.get(1, "huge") is None and by_bytes.size == 8


def test_an_answer_is_served_only_under_its_generation():
    cache = AnswerCache()
    cache.put(1, "q", b"old")
    assert cache.get(2, "q") is None
    cache.put(2, "other", b"new")
    assert cache.get(1, "q") is None and len(cache) == 1 and cache.size == 3
