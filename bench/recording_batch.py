"""Recording batch: 500 recordings of recording batch requests downloaded with bounded concurrency vs a sequential loop.

The sandbox runs in its own process. Five ``recording.batch`` jobs (100 conversations
each, the API's limit) give 500 presigned URLs of small WAV files (16 KB). Then, in one
process, one after the other: a sequential ``for`` loop of ``files.download`` and
``files.download_all(..., concurrency=8)`` (threads sharing one connection pool), each
into a fresh temporary directory. Reported: wall time of each and the speed-up.

    .venv/bin/python bench/recording_batch.py [--recordings N] [--concurrency N] [--quick] [--json PATH]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
from sandbox_throughput import CLIENT_ID, CLIENT_SECRET, server  # noqa: E402

import genesyscloud  # noqa: E402
from genesyscloud import files  # noqa: E402
from genesyscloud.jobs import run_job  # noqa: E402


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    total = 100 if args.quick else args.recordings
    with server(False) as url, genesyscloud.GenesysCloud(
            api_host=url, auth=genesyscloud.ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as gc:
        results = []
        for start in range(0, total, 100):
            batch = [{"conversationId": f"bench-{i:06d}"} for i in range(start, min(total, start + 100))]
            results += list(run_job(gc, "recording.batch", {"batchDownloadRequestList": batch}, poll_interval=0.05))
        with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
            started = time.perf_counter()
            for result in results:
                files.download(gc, result, one)
            sequential = time.perf_counter() - started
            started = time.perf_counter()
            written = files.download_all(gc, results, many, concurrency=args.concurrency)
            bounded = time.perf_counter() - started
            assert len(written) == total == len(list(Path(one).iterdir()))
    title = f"recording batch: {total} recordings (16 KB WAV) from recording batch requests"
    rows = [
        lib.row(title, f"wall time, download_all with concurrency {args.concurrency}", "s", ours=bounded,
                baseline=sequential, baseline_label="sequential files.download loop", ratio=sequential / bounded,
                ratio_label="sequential/bounded"),
    ]
    lib.emit(args, {"name": "recording_batch", "title": title, "rows": rows,
                    "notes": ["recording_batch: the sandbox in its own process; one run of each, sequential first"]})


if __name__ == "__main__":
    main()
