"""Finished answers of the catalogue's public search, kept per web process and per generation
(issue 12: "caching where it is safe: the catalogue and procedure pages are public and change
rarely").

Legal source: none of its own; it serves the public catalogue of administrative procedures
(Decree 63/2010/NĐ-CP Art. 13, see ``tinhso.catalogue.api``).

A repeated search cost the generation's read, the page's rows and the JSON's rendering; the
finished body is the same for everyone who asks the same question in the same language under
the same generation, so it is kept and served after the generation's read alone.

Where: in each process's memory (`AnswerCache`), not in Django's cache. The key already holds
the generation's token, read from the database on every request, so an entry is exact
whatever process keeps it: a new generation (every publish, withdrawal, import; see
``tinhso.catalogue.generation``) makes every older entry unreachable at once, in every
process, and empties the cache the first time a request brings it. Django's cache would add,
for a shared one (Redis, the database), a round trip as long as the query it saves, and for
the local-memory one a pickle each way and a bound on entries but not on bytes. What a
process loses is only sharing: each of the web's processes renders a question once per
generation.

Bounded twice, by entries and by bytes (`MAX_ENTRIES`, `MAX_BYTES`, least recently used out
first), so a flood of distinct questions costs renders, not memory: at most 8 MB of answers
a process, plus their keys (up to 2,000 questions, a megabyte or two).

Only what the search's view decides is kept: the body (its content type is the view's fixed
one). The status is
always 200 (a refusal is the API's handler's, before or after the view, never kept), and the
headers the middleware adds (Content-Language, Vary, the security headers) are added to a kept
answer as to a fresh one, so both are the same bytes and the same headers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

MAX_ENTRIES = 2_000
MAX_BYTES = 8 * 1024 * 1024


class AnswerCache:
    """A thread-safe LRU of answers (bytes) under one generation's token at a time."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._token: int | None = None
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, token: int, key: Hashable) -> bytes | None:
        """The answer kept for `key` under `token`, or None."""
        with self._lock:
            if token != self._token:
                return None
            content = self._entries.get(key)
            if content is not None:
                self._entries.move_to_end(key)
            return content

    def put(self, token: int, key: Hashable, content: bytes) -> None:
        """Keep `content` for `key` under `token`. An answer under another token than the
        kept ones empties the cache first: only one generation is current. (A request that
        read the token just before a write committed may bring the older one back; then the
        next request's answer empties it again: renders lost, never a wrong answer, as each
        answer is served only under the token it was kept under.)"""
        if len(content) > self.max_bytes:
            return
        with self._lock:
            if token != self._token:
                self._entries.clear()
                self._bytes = 0
                self._token = token
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._entries[key] = content
            self._bytes += len(content)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._token = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of the kept answers."""
        return self._bytes


# The search's answers (tinhso.catalogue.api.search_procedures).
searches = AnswerCache()
