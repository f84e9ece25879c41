"""Memory: peak RSS after decoding 100,000 users through auto-paging (streaming, nothing kept); genesyscloud vs the official SDK vs raw httpx.

The same children as ``full_walk.py`` (one walk each, reading ``id``, ``name``,
``email`` of every user and keeping nothing) against the loopback paging server
serving 100,000 users in 100-user pages (1,000 pages of realistic User objects; the
sandbox seeds only 3,200). Reported per side: the child's peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``, the child forked by a small ``sh`` so it is its
own), its RSS right after the first page, and the growth between the two -- which
stays flat when the walk streams.

Only memory is measured here, so the three children run at the same time (the
official SDK's walk takes about a minute on its own); their times are not reported.

    .venv/bin/python bench/memory.py [--total N] [--quick] [--json PATH]
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
import _loopback as loopback  # noqa: E402
from full_walk import CHILDREN, PAGE_SIZE, check_notes  # noqa: E402

TOTAL = 100_000

# the walk's children pin themselves to the client core; here the three run at once,
# so they may use every core (timings are not reported)
UNPINNED = {name: code.replace(loopback.PIN_CLIENT, "\nPINNED = None\n", 1) for name, code in CHILDREN.items()}
assert all(code != CHILDREN[name] for name, code in UNPINNED.items())


def measure(total: int) -> dict[str, Any]:
    pythons = {"ours": lib.our_python(), "httpx": lib.our_python()}
    official = lib.official_python()
    if official:
        pythons["official"] = official
    with loopback.serving("users", total=total) as url:
        args = (url, str(PAGE_SIZE), "1")
        with ThreadPoolExecutor(len(pythons)) as pool:
            futures = {name: pool.submit(lib.run_child, pythons[name], UNPINNED[name], *args, timeout=900)
                       for name in ("official", "ours", "httpx") if name in pythons}
            runs = {name: [future.result()] for name, future in futures.items()}
    return {"runs": runs, "total": total}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    runs, total = raw["runs"], raw["total"]

    def get(name: str, key: str) -> float | None:
        return runs[name][0][key] if runs.get(name) else None

    def growth(name: str) -> float | None:
        peak, first = get(name, "peak_rss_mb"), get(name, "rss_after_first_page_mb")
        return peak - first if peak is not None and first is not None else None

    bench = f"memory: stream {total:,} users through paging"
    rows = []
    for metric, fn in (("peak RSS (ru_maxrss)", lambda n: get(n, "peak_rss_mb")),
                       ("RSS after the first page", lambda n: get(n, "rss_after_first_page_mb")),
                       ("growth: peak - after first page", growth)):
        ours, official, base = fn("ours"), fn("official"), fn("httpx")
        rows.append(lib.row(bench, metric, "MB", ours=ours, official=official, baseline=base,
                            baseline_label="raw httpx + json.loads",
                            ratio=official / ours if ours and official and metric.startswith("peak") else None,
                            ratio_label="official/ours"))
    notes = [f"loopback paging server in its own process: {total:,} users in {PAGE_SIZE}-user pages "
             f"({total // PAGE_SIZE:,} pages); each child walks once, keeping nothing; the three children run "
             "concurrently (memory only, no timing)"]
    notes += check_notes(runs, total)
    return {"name": "memory", "title": "Memory while streaming (auto-paging)", "rows": rows, "notes": notes,
            "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=None, help="users to walk (default 100,000, --quick 20,000)")
    args = parser.parse_args()
    total = args.total or (20_000 if args.quick else TOTAL)
    lib.emit(args, summarize(measure(total)))


if __name__ == "__main__":
    main()
