"""The generated reference (Markdown, before MkDocs): complete, linked both ways, deterministic.

Fast checks of ``python -m codegen.docs`` output; ``test_site.py`` builds the real site.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codegen import docs as docs_gen
from codegen import spec as spec_mod

API = spec_mod.load()
LINK = re.compile(r"\]\(([^)\s]+)\)")
ANCHOR = re.compile(r"^#{1,6} .*\{ #([^ }]+) \}$", re.M)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    counts = docs_gen.generate(out, API)
    assert counts["groups"] == len(API.tags) == 87
    assert counts["operations"] == len(API.operations)
    assert counts["models"] == len(API.schemas)
    return out / "docs"


def test_every_operation_and_model_has_a_section(out):
    for tag in API.tags:
        text = (out / "reference" / "api" / f"{tag.module}.md").read_text(encoding="utf-8")
        assert set(ANCHOR.findall(text)) == {op.method_name for op in tag.operations}, tag.module
    models = set()
    for page in (out / "reference" / "models").glob("*.md"):
        found = ANCHOR.findall(page.read_text(encoding="utf-8"))
        assert len(found) <= docs_gen.MODELS_PER_PAGE
        models.update(found)
    assert models == {s.name for s in API.schemas}


def test_every_relative_link_resolves(out):
    anchors = {p: set(ANCHOR.findall(p.read_text(encoding="utf-8"))) for p in out.rglob("*.md")}
    checked = 0
    for page in (out / "reference").rglob("*.md"):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("#"):
                continue
            path, _, fragment = target.partition("#")
            dest = (page.parent / path).resolve()
            assert dest in anchors, f"{page.name}: {target} (no such page)"
            if fragment and dest.parent.name in ("api", "models"):
                assert fragment in anchors[dest], f"{page.name}: {target} (no such section)"
            checked += 1
    assert checked > 15_000


def test_operations_and_models_link_both_ways(out):
    oauth = (out / "reference" / "api" / "oauth.md").read_text(encoding="utf-8")
    section = oauth.split("## get_oauth_client { #get_oauth_client }")[1].split("\n## ")[0]
    assert "**Returns:** [`OAuthClient`](../models/o.md#OAuthClient)." in section
    assert "| `client_id` | `clientId` | path | `str` | yes |  | Client ID |" in section
    assert 'gc.oauth.get_oauth_client("example-clientId")' in section
    assert "genesys-cloud oauth get-oauth-client example-clientId" in section
    models = (out / "reference" / "models" / "o.md").read_text(encoding="utf-8")
    model = models.split("## OAuthClient { #OAuthClient }")[1].split("\n## ")[0]
    assert "[`oauth.get_oauth_client`](../api/oauth.md#get_oauth_client)" in model.split("**Returned by:**")[1]
    assert "| `authorized_grant_type` | `authorizedGrantType` | `str` | yes |" in model
    assert "Values: `CODE`, `TOKEN`, `SAML2-BEARER`, `PASSWORD`, `CLIENT-CREDENTIALS`" in model
    request = models.split("## OAuthClientRequest { #OAuthClientRequest }")[1].split("\n## ")[0]
    assert "[`oauth.post_oauth_clients`](../api/oauth.md#post_oauth_clients)" in request.split("**Taken by:**")[1]


def test_paging_is_described(out):
    users = (out / "reference" / "api" / "users.md").read_text(encoding="utf-8")
    section = users.split("## get_users { #get_users }")[1].split("\n## ")[0]
    assert "**Paging:** page number" in section and "auto_paging_iter" in section
    assert "--autopaginate" in section


def test_generation_is_deterministic(out, tmp_path):
    docs_gen.generate(tmp_path, API)
    for page in ("reference/api/routing.md", "reference/models/c1.md", "reference/index.md"):
        assert (tmp_path / "docs" / page).read_bytes() == (out / page).read_bytes()


def test_notification_topics_page_links_each_topic_to_its_event_model(out):
    from codegen import topics as topics_mod

    topics = topics_mod.load({s.name for s in API.schemas})
    page = out / "reference" / "topics.md"
    text = page.read_text(encoding="utf-8")
    sections = set(ANCHOR.findall(text))
    model_anchors = {}
    for models_page in (out / "reference" / "models").glob("*.md"):
        for name in ANCHOR.findall(models_page.read_text(encoding="utf-8")):
            model_anchors[name] = models_page.name
    assert len(topics) == 139 and sum(1 for t in topics if t.definition) == 131
    for topic in topics:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{topic.template}` |"))
        if topic.definition is None:
            assert "body stays a `dict`" in row, row
            continue
        link = f"(models/{model_anchors[topic.definition]}#{topic.definition})"
        assert link in row, row
        back = (out / "reference" / "models" / model_anchors[topic.definition]).read_text(encoding="utf-8")
        area = topic.template.split(".")[1]
        assert f"[`{topic.template}`](../topics.md#topics-{area})" in back and f"topics-{area}" in sections
    presence = next(line for line in text.splitlines() if line.startswith("| `v2.users.{id}.presence` |"))
    assert "PresenceEventUserPresence" in presence and "`presenceDefinition`" in presence
