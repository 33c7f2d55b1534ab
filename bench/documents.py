"""Official documents benchmarks: numbering under concurrency, signing, edXML, search.

Each figure is printed beside a baseline measured in the same run:
- 100 concurrent issuances in one register (threads, one connection each): all distinct and
  consecutive, issuances per second; baseline: the same 100 issued one after another;
- PAdES signing with the visible stamp (tinhso) vs plain pyHanko signing the same PDF with the
  same key (invisible field), as a ratio;
- edXML build + XMLDSig sign + verify for a document with a 1 MB attachment; baseline: build
  and serialise only;
- ranked full-text search (FTS5 / tsvector + ts_rank) over BENCH_DOCUMENTS documents (default
  20,000; the issue's full size is 1,000,000: BENCH_DOCUMENTS=1000000), 2 words (the last a
  prefix) + type, first page best match first, p50 and p99; baseline: the same first page
  filtered by type only, newest first.

Runs on a throw-away SQLite database, and on PostgreSQL when BENCH_DATABASE_URL is set
(e.g. postgres://postgres@127.0.0.1:5432/tinhso_bench); the concurrency figure is meant for
PostgreSQL (SQLite serialises writers by design). BENCH_SQLITE=0 skips the SQLite run.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", "20000"))
WORDS = [
    "xây",
    "dựng",
    "giao",
    "thông",
    "đất",
    "đai",
    "tài",
    "chính",
    "ngân",
    "sách",
    "y",
    "tế",
    "giáo",
    "dục",
    "môi",
    "trường",
    "nông",
    "nghiệp",
    "công",
    "thương",
    "tư",
    "pháp",
    "nội",
    "vụ",
    "văn",
    "hóa",
    "du",
    "lịch",
    "khoa",
    "học",
    "công",
    "nghệ",
    "chuyển",
    "đổi",
    "số",
    "cải",
    "cách",
    "hành",
    "chính",
    "thanh",
    "tra",
    "quốc",
    "phòng",
    "an",
    "ninh",
    "lao",
    "động",
    "thương",
    "binh",
    "xã",
    "hội",
    "dân",
    "tộc",
    "tôn",
    "giáo",
    "kế",
    "hoạch",
    "đầu",
    "tư",
    "hạ",
    "tầng",
    "quy",
    "hoạch",
    "đô",
    "thị",
    "nông",
    "thôn",
    "thủy",
    "lợi",
    "phòng",
    "chống",
    "thiên",
    "tai",
]


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {p50 * 1e3:8.2f} ms  p99 {p99 * 1e3:8.2f} ms"


def _agency():  # type: ignore[no-untyped-def]
    from tinhso.places.models import Agency, Province

    province, _ = Province.objects.get_or_create(
        code=66, defaults={"name": "Đắk Lắk", "division_type": "tỉnh", "codename": "dak_lak"}
    )
    agency, _ = Agency.objects.get_or_create(
        code="000.00.00.H66",
        defaults={
            "name": "UBND tỉnh Đắk Lắk",
            "short_name": "UBND",
            "level": Agency.Level.PROVINCE,
            "province": province,
        },
    )
    return agency


def bench_issuance(total: int = 100, connections: int = 25) -> None:
    """`total` issuances from `connections` concurrent connections (PostgreSQL's
    max_connections, shared with other work, caps how many can be open at once)."""
    from django.db import connection

    from tinhso.documents import actions
    from tinhso.documents.models import Direction, IssuedNumber

    agency = _agency()
    year = 2100 + random.randint(0, 800)
    t0 = time.perf_counter()
    for _ in range(total):
        actions.issue_number(agency, year, Direction.OUTGOING)
    sequential = total / (time.perf_counter() - t0)

    year += 1
    got: list[int] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(connections)

    def run(count: int) -> None:
        try:
            start.wait()
            for _ in range(count):
                n = actions.issue_number(agency, year, Direction.OUTGOING).number
                with lock:
                    got.append(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    share = [
        total // connections + (1 if i < total % connections else 0) for i in range(connections)
    ]
    workers = [threading.Thread(target=run, args=(n,)) for n in share]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    concurrent = total / (time.perf_counter() - t0)
    ok = sorted(got) == list(range(1, total + 1)) and not errors
    stored = IssuedNumber.objects.filter(register__year=year).count()
    print(
        f"  {total} issuances from {connections} concurrent connections: {concurrent:6.0f} /s, "
        f"distinct and consecutive: {ok} ({stored} rows, {len(errors)} errors)"
    )
    print(f"  baseline: {total} issued one after another:                {sequential:6.0f} /s")


def bench_search() -> None:
    from django.utils import timezone

    from tinhso.core.text import search_key
    from tinhso.documents import queries
    from tinhso.documents.models import Document

    agency = _agency()
    rng = random.Random(7)
    existing = Document.objects.count()
    t0 = time.perf_counter()
    batch: list[Document] = []
    for i in range(existing, DOCUMENTS):
        subject = "Về việc " + " ".join(rng.choices(WORDS, k=8)) + f" số {i}"
        batch.append(
            Document(
                agency=agency,
                direction="incoming" if i % 2 else "outgoing",
                state="registered" if i % 2 else "issued",
                doc_type=rng.choice(["CV", "QD", "KH", "TB", "BC"]),
                subject=subject,
                subject_key=search_key(subject),
                search_text=search_key(subject),
                created_at=timezone.now(),
            )
        )
        if len(batch) == 5000:
            Document.objects.bulk_create(batch)
            batch = []
    if batch:
        Document.objects.bulk_create(batch)
    print(f"  loaded {DOCUMENTS - existing} documents in {time.perf_counter() - t0:.1f} s")
    base = Document.objects.all()
    samples, baseline = [], []
    for _ in range(100):
        words = " ".join(rng.sample(WORDS, 2))
        t0 = time.perf_counter()
        list(queries.search(base, words, doc_type="CV")[:20])  # ranked, best match first
        samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        list(base.filter(doc_type="CV").order_by("-id")[:20])
        baseline.append(time.perf_counter() - t0)
    print(f"  ranked search over {DOCUMENTS} documents, 2 words + type, page 1: {ms(samples)}")
    print(f"  baseline: type filter only, first page:                     {ms(baseline)}")


def bench_signing(rounds: int = 10) -> None:
    import io
    from datetime import date

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from tinhso.documents import pki, rendering, signing

    pdf = rendering.render_pdf(
        rendering.Draft(
            "Sở",
            "UBND",
            "Số: /QĐ-STP",
            "Đắk Lắk",
            date(2026, 3, 2),
            "Quyết định",
            "Về việc thử",
            "Nội dung " * 200,
            "Giám đốc",
            "Nguyễn Văn A",
        )
    )
    ca = pki.make_test_ca()
    keys = pki.issue(ca, "Người ký", "Sở")
    key = signing.SigningKey(keys.to_pkcs12(b"pw", (ca.certificate,)), b"pw")
    plain_signer = key.signer()

    def ours() -> None:
        signing.sign_pdf(
            pdf, key, field_name="Ky", stamp_text="Người ký\n%(ts)s", box=signing.SIGNER_BOX
        )

    def plain() -> None:
        out = io.BytesIO()
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)),
            signers.PdfSignatureMetadata(field_name="Ky"),
            signer=plain_signer,
            output=out,
        )

    ours()  # warm up fonts
    plain()
    figures = {}
    for label, fn in (("tinhso sign_pdf (visible stamp)", ours), ("plain pyHanko", plain)):
        t0 = time.perf_counter()
        for _ in range(rounds):
            fn()
        figures[label] = rounds / (time.perf_counter() - t0)
    a, b = figures.values()
    print(f"  signing: tinhso {a:6.1f} /s, plain pyHanko {b:6.1f} /s, ratio {a / b:.2f}")


def bench_edxml(rounds: int = 10) -> None:
    from tinhso.documents import edxml, pki, xmlsig

    ca = pki.make_test_ca()
    keys = pki.issue(ca, "UBND", "UBND")
    attachment = os.urandom(1024 * 1024)

    def message() -> edxml.Message:
        return edxml.Message(
            sender=edxml.Organ("000.00.00.H66", "UBND tỉnh Đắk Lắk"),
            recipients=[edxml.Organ("000.00.00.H41", "UBND tỉnh Nghệ An")],
            document_id="000.00.00.H66,2026/03/02,15/QĐ-UBND",
            code_number="15",
            code_notation="QĐ-UBND",
            promulgation_date="2026/03/02",
            subject="Thử",
            attachments=[edxml.Attachment("a.pdf", "application/pdf", attachment)],
        )

    full, build = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        data = xmlsig.sign(edxml.build_message(message()), keys)
        xmlsig.verify(data, keys.certificate)
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        edxml.to_bytes(edxml.build_message(message()))
        build.append(time.perf_counter() - t0)
    print(f"  edXML 1 MB attachment, build+sign+verify: {ms(full)}")
    print(f"  baseline: build and serialise only:       {ms(build)}")


def child(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    bench_issuance()
    bench_search()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TINHSO_VAR_DIR"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
        sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()
        print("signatures")
        bench_signing()
        bench_edxml()
        urls = (
            [f"sqlite:///{tmp}/bench.sqlite3"] if os.environ.get("BENCH_SQLITE", "1") == "1" else []
        )
        if os.environ.get("BENCH_DATABASE_URL"):
            urls.append(os.environ["BENCH_DATABASE_URL"])
        for url in urls:
            subprocess.run(
                [sys.executable, __file__, "--child", url],
                check=True,
                env={**os.environ, "TINHSO_VAR_DIR": tmp, "PYTHONPATH": str(ROOT / "src")},
            )


if __name__ == "__main__":
    main()
