"""A deterministic sample of 100 generated operation examples runs against the sandbox.

The examples are the ones ``python -m codegen.docs`` writes into the reference pages
(checked here: each sampled example's text is on its group's page). The sample is the
100 operations whose ``sha256(operationId)`` sorts first, so it changes only when the
API definition does. Both forms run: the Python example (``gc`` bound to a client of
the sandbox) and the ``genesys-cloud`` command (in-process). Each must succeed, or,
where the example's placeholder id names a resource the sandbox keeps state for
(``example-clientId``), end with the sandbox's 404 for exactly that id. An operation on
``.../me`` needs a user (client credentials have none, in the sandbox as in the service),
so both forms of its example run with a signed-in user's token (authorization code).
"""

from __future__ import annotations

import hashlib
import shlex
import sys
import warnings

import click
import pytest
from click.testing import CliRunner

import genesyscloud
from codegen import docs as docs_gen
from codegen import spec as spec_mod

from .examples import _sign_in

SAMPLE_SIZE = 100
API = spec_mod.load()
MODULE_OF = {t.attribute: t.module for t in API.tags}


def _sample() -> list[docs_gen.Example]:
    ids = sorted((op.operation_id for op in API.operations),
                 key=lambda oid: hashlib.sha256(oid.encode()).hexdigest())[:SAMPLE_SIZE]
    return docs_gen.operation_examples(ids, API)


SAMPLE = _sample()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("site-src")
    docs_gen.generate(out, API)
    return out / "docs" / "reference" / "api"


@pytest.fixture(scope="module")
def client(genesys_sandbox_session):
    sb = genesys_sandbox_session
    with genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret),
                                   max_retries=0) as gc:
        yield gc


def _user_token(sb) -> str:
    """An access token of the sandbox's default user: the authorization code grant, signed in
    as a browser would (a reset revokes tokens, so each example asks for its own)."""
    from urllib.parse import parse_qs, urlsplit

    redirect = "http://localhost:8765/callback"
    url = genesyscloud.AuthorizationCode.authorization_url(sb.client_id, redirect, api_host=sb.url)
    code = parse_qs(urlsplit(_sign_in(sb)(url)).query)["code"][0]
    with genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.AuthorizationCode(
            sb.client_id, sb.client_secret, code, redirect)) as gc:
        return gc.authenticate().access_token


def _needs_user(example: docs_gen.Example) -> bool:
    op = next(o for o in API.operations if o.operation_id == example.operation_id)
    return op.path not in ("/api/v2/organizations/me", "/api/v2/tokens/me") and "/me/" in op.path + "/"


def _placeholder_404(exc: BaseException) -> bool:
    return isinstance(exc, genesyscloud.NotFoundError) and "/example-" in exc.url


def test_the_sample_is_deterministic_and_spread():
    assert len(SAMPLE) == SAMPLE_SIZE
    assert len({e.group for e in SAMPLE}) >= 30
    assert [e.operation_id for e in SAMPLE] == [e.operation_id for e in _sample()]


@pytest.mark.parametrize("example", SAMPLE, ids=[e.operation_id for e in SAMPLE])
def test_generated_example_runs(example, pages, client, genesys_sandbox_session):
    text = (pages / f"{MODULE_OF[example.group]}.md").read_text(encoding="utf-8")
    assert f"```python\n{example.python}\n```" in text
    assert f"```bash\n{example.cli}\n```" in text
    sb = genesys_sandbox_session
    writes = not example.method_name.startswith("get_")
    if writes:
        sb.reset()  # each form starts from the seeded org (a PUT bumps a version the other would then miss)
    user = _needs_user(example)
    gc = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.AccessToken(_user_token(sb)),
                                   max_retries=0) if user else client
    namespace = {"gc": gc, "print": lambda *args, **kwargs: None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            exec(compile(example.python, f"<example {example.operation_id}>", "exec"), namespace)
            python_404 = False
        except Exception as exc:  # noqa: BLE001 (re-raised unless it is the placeholder's 404)
            if not _placeholder_404(exc):
                raise AssertionError(f"{example.operation_id}: the example failed:\n{example.python}") from exc
            python_404 = True
        finally:
            if user:
                gc.close()
    if writes:
        sb.reset()
    env = {"GENESYSCLOUD_API_HOST": sb.url, "GENESYSCLOUD_OAUTHCLIENT_ID": sb.client_id,
           "GENESYSCLOUD_OAUTHCLIENT_SECRET": sb.client_secret, "GENESYSCLOUD_KEYRING": "0",
           "GENESYSCLOUD_PROFILE": None, "GENESYSCLOUD_CONFIG_FILE": None, "GENESYSCLOUD_ACCESS_TOKEN": None}
    if user:
        env.update(GENESYSCLOUD_OAUTHCLIENT_ID=None, GENESYSCLOUD_OAUTHCLIENT_SECRET=None,
                   GENESYSCLOUD_ACCESS_TOKEN=_user_token(sb))
    args = shlex.split(example.cli)[1:]
    result = CliRunner().invoke(_CLI, args, env=env, catch_exceptions=False)
    if python_404:
        assert result.exit_code == 1 and "404" in result.output, result.output
    else:
        assert result.exit_code == 0, f"{example.cli}\n{result.output[-2000:]}"


def _run(args: tuple[str, ...]) -> None:
    from genesyscloud.cli import run

    sys.exit(run(list(args)))


_CLI = click.Command("genesys-cloud", callback=_run,
                     context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                       "help_option_names": []},
                     params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)])
