"""The documentation site builds in strict mode and works in a real browser.

One test builds the whole site with ``bash scripts/docs.sh`` (generated reference plus
guides, ``mkdocs build --strict``: a warning, a broken link or a missing anchor fails it)
into a temporary folder, checks that every API group, operation and model has its page
and anchor and that the search index holds them, then serves the site on loopback and
opens it in headless Chromium: the home page, an API group page and a model page render,
and typing ``get_oauth_clients`` into the search box finds its entry. A screenshot of the
search result is kept as a test artifact (``build/test-artifacts/docs-search.png`` and
the test's temporary folder). One test, so that ``-n 2`` builds the site once.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from codegen import spec as spec_mod

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "test-artifacts"


def _require(what: str) -> None:
    """Skip when a system tool is missing, except in CI (``CI`` set), where it fails."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"missing: {what}; CI is set, so .ci/run must install it")
    pytest.skip(f"missing: {what} (required when CI is set)")


def _build(tmp_path: Path) -> Path:
    site, src = tmp_path / "site", tmp_path / "site-src"
    done = subprocess.run(["bash", str(ROOT / "scripts" / "docs.sh"), str(site), str(src)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "GENESYSCLOUD_DOCS_PYTHON": sys.executable})
    assert done.returncode == 0, f"the strict build failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return site


def _check_pages(site: Path) -> None:
    api = spec_mod.load()
    for tag in api.tags:
        page = (site / "reference" / "api" / f"{tag.module}.html").read_text(encoding="utf-8")
        for op in tag.operations:
            assert f'id="{op.method_name}"' in page, (tag.module, op.method_name)
    ids: set[str] = set()
    for page in (site / "reference" / "models").glob("*.html"):
        ids.update(re.findall(r'<h2 id="([^"]+)"', page.read_text(encoding="utf-8")))
    missing = [s.name for s in api.schemas if s.name not in ids]
    assert not missing, f"{len(missing)} models have no section, e.g. {missing[:5]}"
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    assert "reference/api/oauth.html#get_oauth_clients" in locations
    assert "reference/models/o.html#OAuthClient" in locations
    assert "authentication.html" in locations


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def _chromium():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require("selenium (PyPI)")
    if chromium is None or driver_path is None:
        _require("chromium and chromedriver (Debian packages chromium, chromium-driver)")
    profile = tempfile.mkdtemp(prefix="gc-docs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver_path), options=options), profile


def test_site_builds_strict_and_works_in_chromium(tmp_path):
    site = _build(tmp_path)
    _check_pages(site)

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    server, base = _serve(site)
    driver, profile = _chromium()
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(f"{base}/index.html")
        assert driver.find_element(By.CSS_SELECTOR, "article h1").text == "genesyscloud"
        assert "API reference" in driver.find_element(By.CSS_SELECTOR, "nav.md-nav--primary").get_attribute(
            "textContent")

        driver.get(f"{base}/reference/api/oauth.html")
        heading = driver.find_element(By.ID, "get_oauth_clients")
        assert heading.text.startswith("get_oauth_clients")
        assert "GET /api/v2/oauth/clients" in driver.find_element(By.TAG_NAME, "article").text
        link = driver.find_element(By.CSS_SELECTOR, 'a[href="../models/o.html#OAuthClientEntityListing"]')
        assert link.text == "OAuthClientEntityListing"

        driver.get(f"{base}/reference/models/o.html#OAuthClient")
        section = driver.find_element(By.ID, "OAuthClient")
        assert section.text.startswith("OAuthClient")
        table = section.find_element(By.XPATH, "following::table[1]")
        assert "authorized_grant_type" in table.text and "authorizedGrantType" in table.text
        assert driver.find_elements(By.CSS_SELECTOR, 'a[href="../api/oauth.html#get_oauth_client"]')

        driver.get(f"{base}/reference/topics.html")  # each notification topic with its event model, both ways
        users = driver.find_element(By.ID, "topics-users")
        row = users.find_element(By.XPATH, "following::table[1]//tr[td/code[text()='v2.users.{id}.presence']]")
        model = row.find_element(By.CSS_SELECTOR, "a")
        assert model.text == "PresenceEventUserPresence" and "presenceDefinition" in row.text
        model.click()
        wait.until(lambda d: d.current_url.endswith("#PresenceEventUserPresence"))
        assert driver.find_elements(By.CSS_SELECTOR, 'a[href="../topics.html#topics-users"]')

        # search: Material's client-side index (a web worker) answers the query
        driver.get(f"{base}/index.html")
        box = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
        box.click()
        box.send_keys("get_oauth_clients")
        target = "reference/api/oauth.html"  # the search highlight adds ?h=... before the fragment

        def entry(d):
            return [a for a in d.find_elements(By.CSS_SELECTOR, ".md-search-result__link")
                    if target in a.get_attribute("href") and a.get_attribute("href").endswith("#get_oauth_clients")]

        found = wait.until(entry)
        assert "get_oauth_clients" in found[0].text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for path in (tmp_path / "docs-search.png", ARTIFACTS / "docs-search.png"):
            assert driver.save_screenshot(str(path)), path
        found[0].click()
        wait.until(lambda d: target in d.current_url and d.current_url.endswith("#get_oauth_clients"))
        assert driver.find_element(By.ID, "get_oauth_clients").is_displayed()
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
