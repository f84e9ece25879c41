"""Cold start: an API group imports no other group, one model reads one index shard,
and the sync client never loads aiohttp or httpx (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_an_api_group_imports_no_other_group():
    loaded = _run("import sys, json, genesyscloud as g; c = g.GenesysCloud(); c.users; c.routing\n"
                  "print(json.dumps(sorted(m for m in sys.modules if m.startswith('genesyscloud.api.'))))")
    assert loaded == ["genesyscloud.api.routing", "genesyscloud.api.users"]


def test_resolving_one_model_reads_one_index_shard():
    loaded = _run("import sys, json\nfrom genesyscloud._core.lazy import resolve_model\n"
                  "assert resolve_model('User').__name__ == 'User'\n"
                  "print(json.dumps(sorted(m for m in sys.modules if m.startswith('genesyscloud.models._index'))))")
    assert len(loaded) == 2 and "genesyscloud.models._index" in loaded


def test_the_sync_client_loads_neither_aiohttp_nor_httpx():
    loaded = _run("import sys, json, genesyscloud as g\n"
                  "from genesyscloud._core.transport import HttpRequest\n"
                  "c = g.GenesysCloud(api_host='http://127.0.0.1:9'); t = c._http()\n"
                  "print(json.dumps([m for m in ('aiohttp', 'httpx', 'certifi') if m in sys.modules]))")
    assert loaded == []
