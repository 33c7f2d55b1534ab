"""Catalogue search benchmark: p50 and p99 over BENCH_PROCEDURES published procedures.

A province publishes 1,700 to 2,400 procedures; the default is the issue's 2,500
(BENCH_PROCEDURES=2500). Names: the 55 of the demo catalogue, then the real ones of the
national catalogue (../shared/domain/samples/procedures/opengov-dvcqg/catalog.jsonl, 5,670
names) when present, otherwise generated from common words. Twelve queries of the kinds
citizens type (with and without diacritics, capitals, typos, an unfinished last word, a
national code, one common word) are each run BENCH_ROUNDS times (default 100).

Figures, in the same run:
- ``search``: the full `tinhso.catalogue.queries.search` (typo correction, full-text index,
  re-ranking, loading the first page of 20), three ways: ``uncached`` (the ranking cache off:
  vocabulary, ranking, page), ``cold`` (the cache on but emptied before each search: the
  generation read, the three queries and the cache write) and ``warm`` (a repeated search:
  the generation read and the page's rows);
- ``full-text only``: the database index query alone (FTS5 bm25 / tsvector ts_rank_cd);
- baseline ``substring scan``: the naive way, ``search_key LIKE %folded query%`` over the
  table with a first page of 20, no ranking and no typo tolerance.

Runs on a throw-away SQLite database, and on PostgreSQL as well when BENCH_DATABASE_URL is set
(e.g. postgres://postgres@127.0.0.1:5432/tinhso_bench_catalogue; the database is recreated).
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness import emit, recreate_database

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT.parent / "shared/domain/samples/procedures/opengov-dvcqg/catalog.jsonl"
PROCEDURES = int(os.environ.get("BENCH_PROCEDURES", "2500"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))
QUERIES = [
    "dang ky khai sinh",
    "ĐĂNG KÝ KHAI SINH",
    "khai sinh",
    "giay phep xay dung",
    "giay phep xay dugn",
    "cap doi giay chung nhan quyen su dung dat",
    "ho kinh doanh",
    "thuong tru",
    "chung th",
    "bao tro xa hoi",
    "1.001193",
    "cap",
]
WORDS = [
    "đăng",
    "ký",
    "cấp",
    "đổi",
    "lại",
    "giấy",
    "phép",
    "chứng",
    "nhận",
    "xác",
    "nhận",
    "thẩm",
    "định",
    "phê",
    "duyệt",
    "hỗ",
    "trợ",
    "công",
    "nhận",
    "điều",
    "chỉnh",
    "gia",
    "hạn",
    "thu",
    "hồi",
    "xây",
    "dựng",
    "đất",
    "đai",
    "hộ",
    "tịch",
    "khai",
    "sinh",
    "kết",
    "hôn",
    "cư",
    "trú",
    "doanh",
    "nghiệp",
    "hộ",
    "kinh",
    "doanh",
    "giáo",
    "dục",
    "y",
    "tế",
    "môi",
    "trường",
    "nông",
    "nghiệp",
    "giao",
    "thông",
    "tài",
    "chính",
    "thuế",
    "lao",
    "động",
]


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {p50 * 1e3:7.2f} ms   p99 {p99 * 1e3:7.2f} ms"


def names(count: int) -> list[tuple[str, str, str]]:
    """(code, name, field name) for `count` procedures: real names first."""
    from tinhso.catalogue.demo import demo_data

    rows: list[tuple[str, str, str]] = [
        (p["code"], p["name"], p["field"]["name"]) for p in demo_data()["procedures"]
    ][:count]
    seen: set[str] = {code for code, _, _ in rows}
    if CATALOG.exists():
        for line in CATALOG.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            code = item["code"].strip()  # as the importer keeps it (one record has " 1.014325")
            if code in seen or not item.get("name"):
                continue
            seen.add(code)
            field = (item.get("categories") or ["Khác"])[0] or "Khác"
            rows.append((code, item["name"], field))
            if len(rows) == count:
                return rows
    rng = random.Random(7)
    number = 900000
    while len(rows) < count:
        number += 1
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize()
        rows.append((f"3.{number:06d}", name, rng.choice(WORDS).capitalize()))
    return rows


def populate(count: int) -> None:
    """Published procedures, written in bulk with the same keys the actions compute."""
    from django.db import transaction

    from tinhso.catalogue import actions
    from tinhso.catalogue.models import Field, Procedure, ProcedureVersion, SearchTerm
    from tinhso.catalogue.rules import display_name
    from tinhso.core.text import fold, search_key

    rows = names(count)
    with transaction.atomic():
        fields: dict[str, Field] = {}
        for _, _, field_name in rows:
            if field_name not in fields:
                fields[field_name] = Field.objects.create(
                    code=f"F{len(fields):04d}", name=field_name, search_key=fold(field_name)
                )
        procedures = []
        for i, (code, name, field_name) in enumerate(rows):
            shown = display_name(name)[:500]
            procedures.append(
                Procedure(
                    code=code,
                    name=shown,
                    field=fields[field_name],
                    levels=["commune"] if i % 3 else ["province"],
                    name_key=fold(shown),
                    search_key=search_key(code, shown, field_name),
                    popularity=(i * 37) % 100,
                )
            )
        Procedure.objects.bulk_create(procedures, batch_size=500)
        procedures = list(Procedure.objects.order_by("id"))
        versions = ProcedureVersion.objects.bulk_create(
            [
                ProcedureVersion(
                    procedure=p,
                    number=1,
                    state=ProcedureVersion.State.PUBLISHED,
                    name=p.name,
                    processing_days=3,
                    online_type=("toan_trinh", "mot_phan", "khong")[p.pk % 3],
                    channels=["counter"] if p.pk % 3 == 2 else ["online", "counter"],
                )
                for p in procedures
            ],
            batch_size=500,
        )
        by_procedure = {v.procedure_id: v for v in ProcedureVersion.objects.all()}
        for p in procedures:
            p.current_version = by_procedure[p.pk]
        Procedure.objects.bulk_update(procedures, ["current_version"], batch_size=500)
        words = {w[:60] for p in procedures for w in p.search_key.split() if not w.isdigit()}
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=w, length=len(w)) for w in sorted(words)], batch_size=1000
        )
    assert len(versions) == count
    del actions


def child(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from tinhso.catalogue import search as engine
    from tinhso.catalogue.models import Procedure
    from tinhso.core.text import fold

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    populate(PROCEDURES)
    print(
        f"\n{connection.vendor}: {Procedure.objects.count()} procedures "
        f"(loaded in {time.perf_counter() - started:.1f} s), {len(QUERIES)} queries x {ROUNDS}"
    )
    for q in QUERIES:  # warm-up, and a check that the search answers
        assert engine.search(q).count > 0, q

    def timed(fn: Callable[[str], object]) -> list[float]:
        samples = []
        for _ in range(ROUNDS):
            for q in QUERIES:
                t = time.perf_counter()
                fn(q)
                samples.append(time.perf_counter() - t)
        return samples

    def fts_only(q: str) -> None:
        words = fold(q).split()
        engine.full_text(words, [False] * (len(words) - 1) + [True])

    def substring(q: str) -> None:
        list(
            Procedure.objects.filter(search_key__contains=fold(q), is_active=True)
            .select_related("field", "current_version")
            .order_by("-popularity")[:20]
        )

    def cold(q: str) -> None:
        cache.clear()
        engine.search(q)

    def plain(q: str) -> None:
        engine.search(q)

    def without_cache(fn: Callable[[str], None]) -> Callable[[str], None]:
        def run(q: str) -> None:
            current = engine.generation.current
            engine.generation.current = lambda: None
            try:
                fn(q)
            finally:
                engine.generation.current = current

        return run

    # interleaved per round, so the three see the same load
    rounds: dict[str, list[float]] = {"uncached": [], "cold": [], "warm": []}
    cases = (("uncached", without_cache(plain)), ("cold", cold), ("warm", plain))
    for _ in range(ROUNDS):
        for q in QUERIES:
            for name, fn in cases:
                t = time.perf_counter()
                fn(q)
                rounds[name].append(time.perf_counter() - t)
    full, cold_samples, uncached_samples = rounds["warm"], rounds["cold"], rounds["uncached"]
    index = timed(fts_only)
    base = timed(substring)
    if connection.vendor == "postgresql":  # the same search with its statements unprepared
        prepared = engine.prepared_cursor
        engine.prepared_cursor = lambda using="default": connection.cursor()  # type: ignore[assignment]
        try:
            unprepared = timed(without_cache(plain))
        finally:
            engine.prepared_cursor = prepared
        print(f"  search, uncached, statements not prepared      {ms(unprepared)}")
    print(f"  search, ranking not cached                     {ms(uncached_samples)}")
    print(f"  search, cold cache (generation, 3 queries, set){ms(cold_samples)}")
    print(f"  search, warm cache (generation, page of 20)    {ms(full)}")
    print(f"  full-text index query only                     {ms(index)}")
    print(f"  baseline: substring scan, no ranking           {ms(base)}")
    print(
        f"  ratio search / baseline (p50): {statistics.median(full) / statistics.median(base):.1f}x"
    )
    _table(connection.vendor, full, base, "warm")
    _table(connection.vendor, cold_samples, base, "cold")
    _table(connection.vendor, uncached_samples, base, "uncached")
    per_query = ", ".join(
        f"{q!r} {statistics.median(full[i :: len(QUERIES)]) * 1e3:.1f}"
        for i, q in enumerate(QUERIES)
    )
    print(f"  search p50 per query (ms): {per_query}")
    for q in ("khai sinh", "giay phep xay dugn", "cap"):
        page = engine.search(q)
        print(f"  {q!r}: {page.count} found, first: {page.items[0].name[:70]!r}")


def _table(vendor: str, full: list[float], base: list[float], kind: str) -> None:
    """Issue 12's row: metric | goal | measured | baseline in the same run | ratio | met."""

    def p(samples: list[float], q: float) -> float:
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e3

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n  issue 12, {vendor}, {kind}, load average {load}; baseline: substring scan, same run"
    )
    print("  | metric | goal | measured | baseline | ratio | met |")
    print("  |---|---|---|---|---|---|")
    for name, q, goal in (
        (f"search {kind} p50 ms", 0.5, None),
        (f"search {kind} p99 ms", 0.99, 20.0),
    ):
        measured, baseline = p(full, q), p(base, q)
        met = "-" if goal is None else ("yes" if measured <= goal else "no")
        shown = "-" if goal is None else f"<= {goal:g}"
        print(
            f"  | {name} | {shown} | {measured:.1f} | {baseline:.1f} | "
            f"{measured / baseline:.2f} | {met} |"
        )
        emit(
            "catalogue",
            vendor,
            f"catalogue {name}, {PROCEDURES:,} procedures, in process",
            shown,
            f"{measured:.1f}",
            f"{baseline:.1f} (substring scan)",
            measured / baseline,
            None if goal is None else measured <= goal,
        )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; names from "
        f"{'the national catalogue sample' if CATALOG.exists() else 'generated words'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{tmp}/bench.sqlite3"]
        if os.environ.get("BENCH_DATABASE_URL"):
            urls.append(os.environ["BENCH_DATABASE_URL"])
        for url in urls:
            if url.startswith("postgres"):
                recreate_database(url)
            subprocess.run(
                [sys.executable, __file__, "--child", url],
                check=True,
                env={**os.environ, "TINHSO_VAR_DIR": tmp, "PYTHONPATH": str(ROOT / "src")},
            )


if __name__ == "__main__":
    main()
