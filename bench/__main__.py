"""Run every benchmark in bench/ and write bench/results/latest.{json,md}.

    .venv/bin/python -m bench [--quick] [--only NAME ...]      (or: bench/run ...)

Runs the scenarios in the issue's order (``import_cost``, ``first_call``, ``decode``, ``small_calls``,
``concurrency``, ``token_stampede``, ``full_walk``, ``memory``), then any other
``bench/<name>.py`` present (files starting with ``_`` are helpers), each as
``python bench/<name>.py --json PATH``; see
``_benchlib`` for the result protocol. A script that does not follow the protocol is
still run and its output kept verbatim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

FIRST = ("import_cost", "first_call", "decode", "small_calls", "concurrency", "token_stampede", "full_walk", "memory")
OUR_PACKAGES = ("genesyscloud", "urllib3", "aiohttp", "httpx", "certifi", "rich", "click")
OFFICIAL_PACKAGES = ("PureCloudPlatformClientV2", "urllib3", "python-dateutil", "six", "watchdog", "certifi")


def discover() -> list[str]:
    names = sorted(p.stem for p in lib.BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))
    return [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]


def _versions(python: str, packages: tuple[str, ...]) -> dict[str, Any]:
    code = ("import importlib.metadata as m, json, sys\nout = {'python': sys.version.split()[0]}\n"
            "for name in sys.argv[1:]:\n    try: out[name] = m.version(name)\n"
            "    except m.PackageNotFoundError: out[name] = None\nprint(json.dumps(out))")
    try:
        return lib.run_child(python, code, *packages)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return {"error": str(exc)[:200]}


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    mhz = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("cpu MHz")), None)
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), None) if Path("/proc/meminfo").exists() else None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=lib.REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except OSError:
        commit = None
    official = lib.official_python()
    return {
        "cpu_model": model,
        "cpu_mhz": mhz,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": round(int(mem) / 1024 / 1024, 1) if mem else None,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "packages": _versions(lib.our_python(), OUR_PACKAGES),
        "official_packages": _versions(official, OFFICIAL_PACKAGES) if official else None,
        "git_commit": commit,
        "load_average_start": os.getloadavg(),
    }


def run_script(name: str, quick: bool) -> dict[str, Any]:
    script = lib.BENCH_DIR / f"{name}.py"
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "result.json"
        cmd = [lib.our_python(), str(script), "--json", str(out_path)] + (["--quick"] if quick else [])
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=lib.REPO, capture_output=True, text=True)
        if proc.returncode == 2 and "unrecognized arguments" in proc.stderr:
            proc = subprocess.run([lib.our_python(), str(script)], cwd=lib.REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
        result: dict[str, Any]
        if proc.returncode == 0 and out_path.exists():
            result = json.loads(out_path.read_text())
        else:
            result = {"name": name, "title": name, "rows": [], "notes": [], "raw_output": proc.stdout[-20000:]}
        result.setdefault("name", name)
        result["returncode"] = proc.returncode
        result["seconds"] = round(elapsed, 1)
        if proc.returncode != 0:
            result["error"] = proc.stderr[-4000:]
        return result


def _cell(value: float | None, unit: str) -> str:
    return lib.fmt(value, unit) if value is not None else "-"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    pk = m["packages"]
    opk = m.get("official_packages") or {}
    lines = [
        f"Measured {report['date']} on {m['cpu_model']}, {m['usable_cpus']} CPUs, {m['memory_gb']} GB, "
        f"{m['os']}; Python {m['python']}; genesyscloud {pk.get('genesyscloud')} (git {m['git_commit']}), "
        f"urllib3 {pk.get('urllib3')}, aiohttp {pk.get('aiohttp')} (httpx {pk.get('httpx')} for baselines); official PureCloudPlatformClientV2 {opk.get('PureCloudPlatformClientV2', 'n/a')}"
        f" (urllib3 {opk.get('urllib3', 'n/a')}). Load average at start/end: "
        f"{' '.join(f'{x:.1f}' for x in m['load_average_start'])} / "
        f"{' '.join(f'{x:.1f}' for x in report['load_average_end'])}. Command: `{report['command']}`.",
        "",
        "| Benchmark | Metric | genesyscloud | official SDK | baseline | ratio | budget |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    raw_sections = []
    for result in report["results"]:
        for r in result.get("rows", ()):
            base = _cell(r.get("baseline"), r["unit"])
            if r.get("baseline") is not None and r.get("baseline_label"):
                base += f" ({r['baseline_label']})"
            ratio = f"{r['ratio']:.1f}x {r['ratio_label']}" if r.get("ratio") is not None else ""
            budget = ""
            if r.get("budget"):
                budget = f"{r['budget']}: {'**met**' if r['budget_met'] else '**missed**'}"
            lines.append(f"| {r['benchmark']} | {r['metric']} | {_cell(r['ours'], r['unit'])} | "
                         f"{_cell(r.get('official'), r['unit'])} | {base} | {ratio} | {budget} |")
        if result.get("raw_output") is not None:
            raw_sections += ["", f"`{result['name']}` (output as printed):", "", "```",
                             result["raw_output"].strip(), "```"]
        if result.get("returncode"):
            raw_sections += ["", f"`{result['name']}` FAILED (exit {result['returncode']})."]
    notes = [f"- {result['name']}: {note}" for result in report["results"] for note in result.get("notes", ())]
    if notes:
        lines += ["", "Notes:", *notes]
    return "\n".join(lines + raw_sections) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds in every script (noisier)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts")
    parser.add_argument("--out", default=str(lib.RESULTS_DIR), help="results folder (default bench/results)")
    args = parser.parse_args()
    names = [n for n in discover() if not args.only or n in args.only]
    command = "bench/run" + (" --quick" if args.quick else "") + (f" --only {' '.join(args.only)}" if args.only else "")
    info = machine()
    print(f"[bench] {info['cpu_model']}, {info['usable_cpus']} CPUs, Python {info['python']}; running: "
          f"{', '.join(names)}", flush=True)
    results = []
    for name in names:
        print(f"\n[bench] {name} ...", flush=True)
        results.append(run_script(name, args.quick))
    report = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
              "machine": info, "load_average_end": os.getloadavg(), "results": results}
    print("\n[bench] combined")
    all_rows = [r for result in results for r in result.get("rows", ())]
    lib.print_rows("all benchmarks", all_rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "latest.md").write_text(markdown(report))
    print(f"\n[bench] wrote {out / 'latest.json'} and {out / 'latest.md'}")
    if any(result.get("returncode") for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
