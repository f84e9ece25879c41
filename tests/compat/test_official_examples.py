"""The official SDK's documented examples run unchanged but for the import line and the host.

``official_examples.py`` runs once with the official SDK (its own virtualenv) and once
with ``genesyscloud.compat.purecloud``, each against a fresh sandbox; the results must
be the same.
"""

from __future__ import annotations

from genesyscloud.sandbox import USER_PASSWORD, Sandbox

from .support import HERE, OFFICIAL, OURS, official_python, our_python, run_json

REDIRECT = "http://localhost:8765/callback"


def _run(python: str, module: str, tmp_path) -> dict:
    with Sandbox(seed=1) as sb:
        email = sb.info()["defaultUser"]["email"]
        return run_json(python, HERE / "official_examples.py", module, sb.url, sb.client_id, sb.client_secret,
                        email, USER_PASSWORD, REDIRECT, timeout=300, cwd=str(tmp_path))


def test_readme_and_oauth_examples_behave_the_same(tmp_path):
    theirs = _run(official_python(), OFFICIAL, tmp_path)
    ours = _run(our_python(), OURS, tmp_path)
    assert ours == theirs
    # and they did what the README says
    assert ours["region_host"] == "https://api.mypurecloud.ie"
    assert ours["bad_secret"]["status"] == 401
    assert ours["saml2_me"] == ours["code_me"] == ours["refreshed_me"] == ours["pkce_me"]
    assert ours["refresh_rotated"] is True
    assert ours["challenge_rfc7636"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert ours["secret_changed"] and ours["new_client_token_works"]
    assert ours["old_secret_login"]["status"] in (400, 401)
    assert ours["get_after_delete"]["status"] == 404
    assert "access_token_validity_seconds" in ours["create_keys"]
