"""The official SDK's documented examples, written in its style, against a sandbox.

Usage: PYTHON official_examples.py MODULE SANDBOX_URL CLIENT_ID CLIENT_SECRET USER_EMAIL USER_PASSWORD REDIRECT

MODULE is ``PureCloudPlatformClientV2`` or ``genesyscloud.compat.purecloud``: the import
line is the only difference. The host is the sandbox's URL. Covers the README's
authentication (client credentials, SAML2 bearer, authorization code + refresh, PKCE),
environment (region hosts, host), request and ``to_json`` examples, and every operation
of the OAuth API group. Prints one JSON object of results (ids made stable).
"""

import base64
import importlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

module, HOST, CLIENT_ID, CLIENT_SECRET, EMAIL, PASSWORD, REDIRECT = sys.argv[1:8]
PureCloudPlatformClientV2 = importlib.import_module(module)  # the one changed line
from importlib import import_module  # noqa: E402

ApiException = import_module(module + ".rest").ApiException


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(client_id, **extra):
    """What the browser does: submit the sandbox's login form, return the code from the redirect."""
    form = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
            "email": EMAIL, "password": PASSWORD, **extra}
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(HOST + "/oauth/authorize", urllib.parse.urlencode(form).encode())
    except urllib.error.HTTPError as exc:
        location = exc.headers["Location"]
        return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    raise AssertionError("no redirect")


def status_of(call):
    try:
        call()
    except ApiException as exc:
        body = json.loads(exc.body) if exc.body else None
        return {"status": exc.status, "code": body.get("code") or body.get("error") if body else None}
    return {"status": 200}


out = {}

# -- Setting the environment ------------------------------------------------------------
region = PureCloudPlatformClientV2.PureCloudRegionHosts.eu_west_1
out["region_host"] = region.get_api_host()
PureCloudPlatformClientV2.configuration.host = HOST

# -- Client credentials grant -------------------------------------------------------------
apiclient = PureCloudPlatformClientV2.api_client.ApiClient().get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
authApi = PureCloudPlatformClientV2.AuthorizationApi(apiclient)
permissions = authApi.get_authorization_permissions()
out["permissions_total"] = permissions.total
out["cc_token_is_text"] = isinstance(apiclient.access_token, str) and len(apiclient.access_token) > 10
out["bad_secret"] = status_of(lambda: PureCloudPlatformClientV2.api_client.ApiClient()
                              .get_client_credentials_token(CLIENT_ID, "wrong-secret"))

# -- SAML2 bearer grant -------------------------------------------------------------------
xml = ("<saml:Assertion xmlns:saml='urn:oasis:names:tc:SAML:2.0:assertion'><saml:Subject>"
       f"<saml:NameID>{EMAIL}</saml:NameID></saml:Subject></saml:Assertion>")
encodedsamlassertion = base64.b64encode(xml.encode()).decode()
info = PureCloudPlatformClientV2.api_client.ApiClient().get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
orgName = PureCloudPlatformClientV2.OrganizationApi(info).get_organizations_me().name
apiclient = PureCloudPlatformClientV2.api_client.ApiClient().get_saml2bearer_token(CLIENT_ID, CLIENT_SECRET, orgName,
                                                                                   encodedsamlassertion)
usersApi = PureCloudPlatformClientV2.UsersApi(apiclient)
out["saml2_me"] = usersApi.get_users_me().email

# -- Authorization code grant, then refresh -------------------------------------------------
apiclient = PureCloudPlatformClientV2.api_client.ApiClient()
auth_code = sign_in(CLIENT_ID)
apiclient, auth_token_info = apiclient.get_code_authorization_token(CLIENT_ID, CLIENT_SECRET, auth_code, REDIRECT)
usersApi = PureCloudPlatformClientV2.UsersApi(apiclient)
out["code_me"] = usersApi.get_users_me().email
refresh_token = auth_token_info["refresh_token"]
expires_in = auth_token_info["expires_in"]
out["code_token_info"] = sorted(k for k in auth_token_info if k in ("access_token", "refresh_token", "expires_in"))
apiclient, auth_token_info = apiclient.refresh_code_authorization_token(CLIENT_ID, CLIENT_SECRET, refresh_token)
out["refreshed_me"] = PureCloudPlatformClientV2.UsersApi(apiclient).get_users_me().email
out["refresh_rotated"] = auth_token_info["refresh_token"] != refresh_token

# -- PKCE grant ---------------------------------------------------------------------------
code_verifier = PureCloudPlatformClientV2.api_client.ApiClient().generate_pkce_code_verifier(128)
code_challenge = PureCloudPlatformClientV2.api_client.ApiClient().compute_pkce_code_challenge(code_verifier)
out["verifier_length"] = len(code_verifier)
out["challenge_rfc7636"] = PureCloudPlatformClientV2.api_client.ApiClient().compute_pkce_code_challenge(
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
auth_code = sign_in(CLIENT_ID, code_challenge=code_challenge, code_challenge_method="S256")
apiclient = PureCloudPlatformClientV2.api_client.ApiClient()
apiclient, auth_token_info = apiclient.get_pkce_token(CLIENT_ID, code_verifier, auth_code, REDIRECT)
out["pkce_me"] = PureCloudPlatformClientV2.UsersApi(apiclient).get_users_me().email

# -- Making requests with the default client and configuration.access_token ----------------
PureCloudPlatformClientV2.configuration.access_token = (
    PureCloudPlatformClientV2.api_client.ApiClient().get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
    .access_token)
oauthApi = PureCloudPlatformClientV2.OAuthApi()
out["default_client_total"] = oauthApi.get_oauth_clients().total

# -- Every operation of the OAuth API group -----------------------------------------------
api = PureCloudPlatformClientV2.OAuthApi(
    PureCloudPlatformClientV2.api_client.ApiClient().get_client_credentials_token(CLIENT_ID, CLIENT_SECRET))
request = PureCloudPlatformClientV2.OAuthClientRequest()
request.name = "Example client"
request.description = "created by the examples"
request.authorized_grant_type = "CLIENT-CREDENTIALS"
request.access_token_validity_seconds = 3600
created = api.post_oauth_clients(request)
created_dict = created.to_dict()
out["create_keys"] = sorted(created_dict)
out["create"] = {k: created_dict[k] for k in ("name", "description", "authorized_grant_type",
                                              "access_token_validity_seconds", "state")}
out["to_json_keys"] = sorted(json.loads(created.to_json()))
new_id = created.id
out["get_same"] = api.get_oauth_client(new_id).name == created.name
out["listed"] = new_id in [c.id for c in api.get_oauth_clients().entities]
request.name = "Example client (renamed)"
out["update"] = api.put_oauth_client(new_id, request).name
other = PureCloudPlatformClientV2.api_client.ApiClient().get_client_credentials_token(new_id, created.secret)
out["new_client_token_works"] = PureCloudPlatformClientV2.OAuthApi(other).get_oauth_client(new_id).id == new_id
regenerated = api.post_oauth_client_secret(new_id)
out["secret_changed"] = bool(regenerated.secret) and regenerated.secret != created.secret
out["old_secret_login"] = status_of(
    lambda: PureCloudPlatformClientV2.api_client.ApiClient().get_client_credentials_token(new_id, created.secret))
scopes = api.get_oauth_scopes()
out["scopes_total"] = scopes.total
out["scope_id"] = api.get_oauth_scope(scopes.entities[0].id).id == scopes.entities[0].id
authorizations = api.get_oauth_authorizations()
out["authorizations_total"] = authorizations.total
first = authorizations.entities[0].client.id
out["authorization"] = api.get_oauth_authorization(first).client.id == first
query = PureCloudPlatformClientV2.ApiUsageClientQuery()
query.interval = "2024-01-01T00:00:00Z/2030-01-01T00:00:00Z"
query.metrics = ["Requests"]
query.group_by = ["TemplateUri", "HttpMethod"]
execution = api.post_oauth_client_usage_query(CLIENT_ID, query)
out["usage_query_keys"] = sorted(execution.to_dict())
result = api.get_oauth_client_usage_query_result(execution.execution_id, CLIENT_ID)
out["usage_result_keys"] = sorted(result.to_dict())
out["usage_summary_keys"] = sorted(api.get_oauth_client_usage_summary(CLIENT_ID, days="7").to_dict())
api.delete_oauth_client(new_id)
out["get_after_delete"] = status_of(lambda: api.get_oauth_client(new_id))
out["get_unknown"] = status_of(lambda: api.get_oauth_client("no-such-client"))
print(json.dumps(out, default=str))
