"""Shared helpers for the benchmark scripts in ``bench/`` (not a benchmark itself).

Result protocol (what ``python -m bench`` / ``bench/run`` collects): every script
``bench/<name>.py`` accepts ``--json PATH`` and writes there one object::

    {"name": "<name>", "title": "...", "rows": [row, ...], "notes": ["...", ...]}

where each row is::

    {"benchmark": "...", "metric": "...", "unit": "ms" | "MB" | "pages/s" | ...,
     "ours": float | null, "official": float | null, "baseline": float | null,
     "baseline_label": "raw httpx" | ...,
     "ratio": float | null, "ratio_label": "official/ours" | ...,
     "budget": "< 100 ms" | null, "budget_met": true | false | null}

Scripts that do not follow it are still run; their standard output is kept verbatim.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
OFFICIAL_VERSION = "269.0.0"


def our_python() -> str:
    """The interpreter of the dev virtualenv (the one running the benchmarks)."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


_official: list[str | None] = []


def official_python() -> str | None:
    """The official SDK's interpreter (created once by scripts/official-sdk-venv.sh), or None."""
    if not _official:
        path: str | None = os.environ.get("GENESYSCLOUD_BENCH_OFFICIAL_PYTHON")
        if not path:
            try:
                out = subprocess.run(["bash", str(REPO / "scripts" / "official-sdk-venv.sh")], capture_output=True,
                                     text=True, timeout=900, check=True)
                path = out.stdout.strip().splitlines()[-1]
            except (subprocess.SubprocessError, OSError, IndexError) as exc:
                print(f"[bench] official SDK virtualenv unavailable: {exc}", file=sys.stderr)
                path = None
        _official.append(path)
    return _official[0]


def clean_env() -> dict[str, str]:
    """Environment for child interpreters: no PYTHON* variables that would change imports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    return env


def run_child(python: str, code: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run ``code`` in a fresh isolated (-I) interpreter; it prints one JSON object last.

    The child is started by a small ``sh`` that forks it: on Linux, ``execve`` records
    the replaced image's peak RSS in the process's ``ru_maxrss``, so a child spawned
    straight from this (large) process would report our RSS instead of its own.
    """
    proc = subprocess.run(["sh", "-c", '"$@"; exit $?', "sh", python, "-I", "-c", code, *args],
                          capture_output=True, text=True, env=clean_env(), timeout=timeout, cwd="/")
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({python}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    elif abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def row(benchmark: str, metric: str, unit: str, *, ours: float | None, official: float | None = None,
        baseline: float | None = None, baseline_label: str | None = None, ratio: float | None = None,
        ratio_label: str | None = None, budget: str | None = None, budget_met: bool | None = None,
        **extra: Any) -> dict[str, Any]:
    out = {"benchmark": benchmark, "metric": metric, "unit": unit, "ours": ours, "official": official,
           "baseline": baseline, "baseline_label": baseline_label, "ratio": ratio, "ratio_label": ratio_label,
           "budget": budget, "budget_met": budget_met}
    out.update(extra)
    return out


def print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    headers = ["benchmark", "metric", "genesyscloud", "official", "baseline", "ratio", "budget"]
    table = [headers]
    for r in rows:
        ratio = f"{r['ratio']:.1f}x ({r['ratio_label']})" if r.get("ratio") is not None else ""
        base = fmt(r["baseline"], r["unit"]) if r.get("baseline") is not None else ""
        if base and r.get("baseline_label"):
            base += f" ({r['baseline_label']})"
        budget = ""
        if r.get("budget"):
            budget = f"{r['budget']}: {'met' if r['budget_met'] else 'MISSED'}"
        table.append([r["benchmark"], r["metric"], fmt(r["ours"], r["unit"]), fmt(r["official"], r["unit"]), base,
                      ratio, budget])
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    print(f"\n== {title}")
    for n, line in enumerate(table):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, noisier numbers)")
    return parser


def emit(args: argparse.Namespace, result: dict[str, Any]) -> None:
    print_rows(result["title"], result["rows"])
    for note in result.get("notes", ()):
        print(f"  note: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


class FixedResponseServer:
    """A loopback HTTP server answering every GET with the same JSON body (in a thread)."""

    def __init__(self, body: bytes, content_type: str = "application/json") -> None:
        # One write per response, Nagle off: a status line and headers flushed apart from
        # the body meet the client's delayed ACK and add ~40 ms to every call.
        response = (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    "Connection: keep-alive\r\n\r\n").encode() + body

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                self.wfile.write(response)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FixedResponseServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def interleaved(rounds: int, scenarios: dict[str, Callable[[], dict[str, Any]]],
                warmup: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Run each scenario ``warmup`` times (discarded) then ``rounds`` times, interleaved a/b/c."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in scenarios}
    for n in range(warmup + rounds):
        for name, fn in scenarios.items():
            out = fn()
            if n >= warmup:
                results[name].append(out)
    return results
