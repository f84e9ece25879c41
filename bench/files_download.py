"""Download and upload: a large object over loopback; genesyscloud.files vs bare urllib3 streaming GET/PUT.

A small asyncio server in its own process serves one object of ``--size`` bytes (any
path, ``Range`` honoured, like a presigned object-store URL). Two fresh interpreters, one
after the other, each write it to a temporary file: ``ours`` with
``genesyscloud.files.download`` (``.part`` file, rename, ``Content-Length`` check), and
``urllib3`` with a ``PoolManager`` streaming GET (``preload_content=False``,
``stream(256 KiB)``) + ``write``, the HTTP library ``files`` itself uses (the transport
seam); then each uploads a file of the same size (``files.upload`` vs a urllib3 ``PUT``
of a chunk generator with ``Content-Length``), and as a multipart POST with the token
(``files.upload`` of a prompt resource's ``uploadUri`` vs a urllib3 POST of the same
multipart body), the server reading and discarding the body; and a download of an API
path's body (``client.request(stream=True)``). Reported per
side: throughput (MB/s, wall clock of the transfer) and RSS growth (peak
``ru_maxrss`` minus the RSS before the transfer). Goals (issue 17): growth < 20 MB and
throughput >= 80 % of the bare GET.

    .venv/bin/python bench/files_download.py [--size BYTES] [--rounds N] [--quick] [--json PATH]
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

SERVER = r'''
import asyncio, re, sys
SIZE = int(sys.argv[1])
BLOCK = bytes(range(256)) * 4096  # 1 MiB

async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            if lines[0].startswith(("PUT ", "POST ")):
                length = next(int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:"))
                left = length
                while left:
                    chunk = await reader.read(min(left, 1 << 20))
                    if not chunk:
                        raise ConnectionError("short body")
                    left -= len(chunk)
                if lines[0].startswith("POST "):  # a multipart upload: a small JSON answer
                    writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}')
                else:
                    writer.write(b'HTTP/1.1 200 OK\r\nETag: "bench"\r\nContent-Length: 0\r\n\r\n')
                await writer.drain()
                continue
            start, end = 0, SIZE
            status = "200 OK"
            extra = ""
            for line in lines[1:]:
                m = re.match(r"(?i)range:\s*bytes=(\d+)-(\d*)", line)
                if m:
                    start = int(m.group(1)); end = int(m.group(2)) + 1 if m.group(2) else SIZE
                    status = "206 Partial Content"
                    extra = f"Content-Range: bytes {start}-{end - 1}/{SIZE}\r\n"
            writer.write((f"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n"
                          f"Content-Length: {end - start}\r\nAccept-Ranges: bytes\r\nETag: \"bench\"\r\n{extra}\r\n").encode())
            pos = start
            view = memoryview(BLOCK)
            while pos < end:
                n = min(len(BLOCK) - pos % len(BLOCK), end - pos)
                writer.write(view[pos % len(BLOCK): pos % len(BLOCK) + n])
                pos += n
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
'''

CHILD_PRELUDE = r'''
import json, os, resource, sys, tempfile, time
def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
url, size = sys.argv[1], int(sys.argv[2])
fd, path = tempfile.mkstemp(prefix="bench-download-")
os.close(fd)
'''

UPLOAD_PRELUDE = r'''
import json, os, resource, sys, time
def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
url, path = sys.argv[1], sys.argv[2]
size = os.path.getsize(path)
'''

MULTIPART = {
    "ours": UPLOAD_PRELUDE + r'''
import genesyscloud
from genesyscloud import files
base = url.split("/objects/")[0]
client = genesyscloud.GenesysCloud(api_host=base, auth=genesyscloud.AccessToken("t"))
before = rss_mb()
started = time.perf_counter()
files.upload(client, {"uploadUri": base + "/uploads/v2/architect/prompts/p/resources/en-us"}, path)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"elapsed": elapsed, "bytes": size, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
    "urllib3": UPLOAD_PRELUDE + r'''
import urllib3
before = rss_mb()
started = time.perf_counter()
head = (b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n")
tail = b"\r\n--b0undary--\r\n"
def body():
    yield head
    with open(path, "rb") as fh:
        while chunk := fh.read(256 * 1024):
            yield chunk
    yield tail
with urllib3.PoolManager(timeout=60) as pool:
    response = pool.request("POST", url.split("/objects/")[0] + "/uploads/v2/p", body=body(),
                            headers={"Content-Length": str(len(head) + size + len(tail)), "Authorization": "Bearer t",
                                     "Content-Type": "multipart/form-data; boundary=b0undary"})
    assert response.status == 200
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"elapsed": elapsed, "bytes": size, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
}

UPLOADS = {
    "ours": UPLOAD_PRELUDE + r'''
import genesyscloud
from genesyscloud import files
client = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=genesyscloud.AccessToken("t"))
before = rss_mb()
started = time.perf_counter()
files.upload(client, {"url": url, "headers": {"Content-Type": "application/octet-stream"}, "uploadKey": "k"}, path)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"elapsed": elapsed, "bytes": size, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
    "urllib3": UPLOAD_PRELUDE + r'''
import urllib3
before = rss_mb()
started = time.perf_counter()
def body():
    with open(path, "rb") as fh:
        while chunk := fh.read(256 * 1024):
            yield chunk
with urllib3.PoolManager(timeout=60) as pool:
    response = pool.request("PUT", url, body=body(), headers={"Content-Length": str(size),
                                                              "Content-Type": "application/octet-stream"})
    assert response.status == 200
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"elapsed": elapsed, "bytes": size, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
}

CHILDREN = {
    "ours": CHILD_PRELUDE + r'''
import genesyscloud
from genesyscloud import files
client = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=genesyscloud.AccessToken("t"))
before = rss_mb()
started = time.perf_counter()
result = files.download(client, url, path)
elapsed = time.perf_counter() - started
assert result.size == size, result
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
os.unlink(path)
print(json.dumps({"elapsed": elapsed, "bytes": result.size, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
    "api": CHILD_PRELUDE + r'''
import genesyscloud
from genesyscloud import files
base = url.split("/objects/")[0]
client = genesyscloud.GenesysCloud(api_host=base, auth=genesyscloud.AccessToken("t"))
before = rss_mb()
started = time.perf_counter()
result = files.download(client, "/api/v2/bench/export.bin", path)  # through client.request(stream=True)
elapsed = time.perf_counter() - started
assert result.size == size, result
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
os.unlink(path)
print(json.dumps({"elapsed": elapsed, "bytes": result.size, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
    "urllib3": CHILD_PRELUDE + r'''
import urllib3
before = rss_mb()
started = time.perf_counter()
written = 0
with urllib3.PoolManager(timeout=60) as pool, open(path, "wb") as fh:
    response = pool.request("GET", url, preload_content=False)
    for chunk in response.stream(256 * 1024):
        fh.write(chunk)
        written += len(chunk)
    response.release_conn()
elapsed = time.perf_counter() - started
assert written == size
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
os.unlink(path)
print(json.dumps({"elapsed": elapsed, "bytes": written, "rss_before_mb": before, "peak_rss_mb": peak}))
''',
}


@contextlib.contextmanager
def serving(size: int) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(size)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        yield f"http://127.0.0.1:{port}/objects/bench.bin?X-Amz-Signature=bench"
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1 << 30, help="object size in bytes (default 1 GiB)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3; medians)")
    args = parser.parse_args()
    size = min(args.size, 256 << 20) if args.quick else args.size
    rounds = 1 if args.quick else args.rounds
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "api": [], "urllib3": []}
    up: dict[str, list[dict[str, Any]]] = {"ours": [], "urllib3": []}
    multi: dict[str, list[dict[str, Any]]] = {"ours": [], "urllib3": []}
    with tempfile.NamedTemporaryFile(prefix="bench-upload-") as source:
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            source.write(block)
        source.write(block[: size % len(block)])
        source.flush()
        with serving(size) as url:
            for _ in range(rounds):
                for name in ("urllib3", "ours", "api"):
                    runs[name].append(lib.run_child(lib.our_python(), CHILDREN[name], url, str(size), timeout=1800))
                for name in ("urllib3", "ours"):
                    up[name].append(lib.run_child(lib.our_python(), UPLOADS[name], url, source.name, timeout=1800))
                    multi[name].append(lib.run_child(lib.our_python(), MULTIPART[name], url, source.name,
                                                     timeout=1800))
    mbps = {n: lib.median([r["bytes"] / r["elapsed"] / 1e6 for r in rs]) for n, rs in runs.items()}
    growth = {n: lib.median([r["peak_rss_mb"] - r["rss_before_mb"] for r in rs]) for n, rs in runs.items()}
    up_mbps = {n: lib.median([r["bytes"] / r["elapsed"] / 1e6 for r in rs]) for n, rs in up.items()}
    up_growth = {n: lib.median([r["peak_rss_mb"] - r["rss_before_mb"] for r in rs]) for n, rs in up.items()}
    mp_mbps = {n: lib.median([r["bytes"] / r["elapsed"] / 1e6 for r in rs]) for n, rs in multi.items()}
    mp_growth = {n: lib.median([r["peak_rss_mb"] - r["rss_before_mb"] for r in rs]) for n, rs in multi.items()}
    up_title = f"upload: {size / (1 << 20):,.0f} MiB file from disk to a loopback PUT"
    mp_title = (f"upload: {size / (1 << 20):,.0f} MiB file from disk, multipart POST with the token "
                "(a document's uploadDestinationUri / a prompt's uploadUri)")
    api_title = f"download: {size / (1 << 20):,.0f} MiB body of an API path (client.request(stream=True)) to disk"
    title = f"download: {size / (1 << 20):,.0f} MiB object on loopback to disk"
    rows = [
        lib.row(title, "throughput", "MB/s", ours=mbps["ours"], baseline=mbps["urllib3"],
                baseline_label="bare urllib3 streaming GET", ratio=mbps["ours"] / mbps["urllib3"],
                ratio_label="ours/urllib3", budget=">= 80% of bare urllib3", budget_met=mbps["ours"] >= 0.8 * mbps["urllib3"]),
        lib.row(title, "RSS growth during the transfer", "MB", ours=growth["ours"], baseline=growth["urllib3"],
                baseline_label="bare urllib3 streaming GET", budget="< 20 MB", budget_met=growth["ours"] < 20),
        lib.row(up_title, "throughput", "MB/s", ours=up_mbps["ours"], baseline=up_mbps["urllib3"],
                baseline_label="bare urllib3 streaming PUT", ratio=up_mbps["ours"] / up_mbps["urllib3"],
                ratio_label="ours/urllib3", budget=">= 80% of bare urllib3",
                budget_met=up_mbps["ours"] >= 0.8 * up_mbps["urllib3"]),
        lib.row(up_title, "RSS growth during the transfer", "MB", ours=up_growth["ours"], baseline=up_growth["urllib3"],
                baseline_label="bare urllib3 streaming PUT", budget="< 20 MB", budget_met=up_growth["ours"] < 20),
        lib.row(mp_title, "throughput", "MB/s", ours=mp_mbps["ours"], baseline=mp_mbps["urllib3"],
                baseline_label="bare urllib3 POST of the same multipart body", ratio=mp_mbps["ours"] / mp_mbps["urllib3"],
                ratio_label="ours/urllib3", budget=">= 80% of bare urllib3",
                budget_met=mp_mbps["ours"] >= 0.8 * mp_mbps["urllib3"]),
        lib.row(mp_title, "RSS growth during the transfer", "MB", ours=mp_growth["ours"], baseline=mp_growth["urllib3"],
                baseline_label="bare urllib3 POST of the same multipart body", budget="< 20 MB",
                budget_met=mp_growth["ours"] < 20),
        lib.row(api_title, "throughput", "MB/s", ours=mbps["api"], baseline=mbps["urllib3"],
                baseline_label="bare urllib3 streaming GET", ratio=mbps["api"] / mbps["urllib3"],
                ratio_label="ours/urllib3", budget=">= 80% of bare urllib3", budget_met=mbps["api"] >= 0.8 * mbps["urllib3"]),
        lib.row(api_title, "RSS growth during the transfer", "MB", ours=growth["api"], baseline=growth["urllib3"],
                baseline_label="bare urllib3 streaming GET", budget="< 20 MB", budget_met=growth["api"] < 20),
    ]
    result = {"name": "files_download", "title": title, "rows": rows, "raw": {"download": runs, "upload": up, "multipart": multi},
              "notes": [f"files_download: medians of {rounds} interleaved rounds, each side in a fresh interpreter"]}
    lib.emit(args, result)
    if not args.json:
        print(json.dumps({"download_mb_s": mbps, "download_rss_growth_mb": growth, "upload_mb_s": up_mbps,
                          "upload_rss_growth_mb": up_growth, "multipart_mb_s": mp_mbps,
                          "multipart_rss_growth_mb": mp_growth}))


if __name__ == "__main__":
    main()
