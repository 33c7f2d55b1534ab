"""Issue 12's one table, printed as the last step of `make bench`.

Every benchmark appends its goal rows to var/bench/rows.jsonl (BENCH_ROWS; see
harness.emit) as it prints its own figures; `make bench` empties the file first. This prints
them as one Markdown table per database: metric | goal | measured | baseline in the same run |
ratio | met, each row with the load average at the moment it was measured, and which goal rows
of issues 12 and 13 no benchmark reported.
"""

from __future__ import annotations

import json
import os
import platform
import sys

from harness import ROWS_FILE

DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "no database": "no database"}
# The goal rows of issues 12 and 13 (a word every row's metric of that goal contains).
EXPECTED = {
    "public look-up": "public look-up",
    "mixed API load": "mixed API",
    "catalogue search": "catalogue search",
    "officer unit queue": "unit queue",
    "PAdES signing with stamp": "PAdES",
    "edXML build+sign+verify": "edXML",
    "outbox delivery": "outbox delivery",
    "ranked document search": "ranked document search",
    "Open311 requests.json": "Open311",
    "receipt PDF (Mẫu 01)": "receipt PDF",
    "official sign-in password step": "sign-in",
    "IPN callbacks (issue 13)": "IPN",
    "data store offer (issue 14)": "data store offer",
    "national portal sync (issue 15)": "dvcqg sync",
}


def main() -> None:
    if not ROWS_FILE.exists():
        print(f"no rows: {ROWS_FILE} does not exist (run `make bench` first)")
        sys.exit(1)
    rows = [json.loads(line) for line in ROWS_FILE.read_text(encoding="utf-8").splitlines()]
    if not rows:
        print(f"no rows in {ROWS_FILE}")
        sys.exit(1)
    quick = any(r["quick"] for r in rows)
    loads = [r["load"][0] for r in rows]
    print(
        f"\n== issue 12 and 13, one table ({'BENCH_QUICK=1' if quick else 'default sizes'}); "
        f"{rows[0]['machine']}; {platform.platform()}"
    )
    print(
        f"load average (1 min) while the rows were measured: {min(loads):.1f} to "
        f"{max(loads):.1f}; now {', '.join(f'{x:.1f}' for x in os.getloadavg())}. "
        "Read the ratios: the baselines ran in the same run on the same machine."
    )
    by_database: dict[str, list[dict]] = {}
    for r in rows:
        name = DATABASES.get(r["database"].lower(), r["database"])
        by_database.setdefault(name, []).append(r)
    for name in sorted(by_database, key=lambda n: list(DATABASES.values()).index(n)):
        print(f"\n{name}\n")
        print("| metric | goal | measured | baseline in the same run | ratio | met | load 1 min |")
        print("|---|---|---|---|---|---|---|")
        for r in by_database[name]:
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
            met = {True: "yes", False: "not met", None: "-"}[r["met"]]
            print(
                f"| {r['metric']} | {r['goal']} | {r['measured']} | {r['baseline']} | {ratio} | "
                f"{met} | {r['load'][0]:.1f} |"
            )
    missing = [
        goal
        for goal, word in EXPECTED.items()
        if not any(word.lower() in r["metric"].lower() for r in rows)
    ]
    if missing:
        print(f"\nno row measured for: {', '.join(missing)}")
    failed = sum(1 for r in rows if r["met"] is False)
    print(f"\n{failed} of {sum(1 for r in rows if r['met'] is not None)} goal rows not met")


if __name__ == "__main__":
    main()
