"""Run every OAuthApi operation of the official SDK (PureCloudPlatformClientV2) against a sandbox.

Usage: OFFICIAL_PYTHON official_sdk_oauth.py SANDBOX_URL CLIENT_ID CLIENT_SECRET
Prints one JSON object (results keyed by step) on stdout. Runs in the official SDK's own
virtualenv; it imports nothing from this repository.
"""

import json
import sys

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException


def status_of(call):
    try:
        call()
    except ApiException as exc:
        return {"status": exc.status, "body": json.loads(exc.body) if exc.body else None}
    return {"status": 200}


def main():
    url, client_id, client_secret = sys.argv[1:4]
    gc.configuration.host = url
    api_client = gc.api_client.ApiClient()
    out = {"login_url": api_client.get_conf_url("login", url)}
    api_client = api_client.get_client_credentials_token(client_id, client_secret)
    api = gc.OAuthApi(api_client)

    request = gc.OAuthClientRequest()
    request.name = "Official SDK client"
    request.description = "created by the official SDK"
    request.authorized_grant_type = "CLIENT-CREDENTIALS"
    request.access_token_validity_seconds = 3600
    created = api.post_oauth_clients(request)
    out["create"] = created.to_dict()
    new_id = created.id

    out["get"] = api.get_oauth_client(new_id).to_dict()
    out["list"] = [c.id for c in api.get_oauth_clients().entities]

    request.name = "Official SDK client (renamed)"
    out["update"] = api.put_oauth_client(new_id, request).to_dict()

    # the created client can log in with its secret
    other = gc.api_client.ApiClient().get_client_credentials_token(new_id, created.secret)
    out["new_client_token_works"] = gc.OAuthApi(other).get_oauth_client(new_id).id == new_id

    regenerated = api.post_oauth_client_secret(new_id)
    out["secret_changed"] = bool(regenerated.secret) and regenerated.secret != created.secret
    out["old_secret_login"] = status_of(
        lambda: gc.api_client.ApiClient().get_client_credentials_token(new_id, created.secret))
    fresh = gc.api_client.ApiClient().get_client_credentials_token(new_id, regenerated.secret)
    out["new_secret_login"] = bool(fresh.access_token)

    scopes = api.get_oauth_scopes()
    out["scopes_total"] = scopes.total
    out["scope_ids"] = [s.id for s in scopes.entities]
    out["scope"] = api.get_oauth_scope(scopes.entities[0].id).to_dict()

    authorizations = api.get_oauth_authorizations()
    out["authorizations_total"] = authorizations.total
    first_client = authorizations.entities[0].client.id
    out["authorization"] = api.get_oauth_authorization(first_client).to_dict()

    query = gc.ApiUsageClientQuery()
    query.interval = "2024-01-01T00:00:00Z/2030-01-01T00:00:00Z"
    query.metrics = ["Requests"]
    query.group_by = ["TemplateUri", "HttpMethod"]
    execution = api.post_oauth_client_usage_query(client_id, query)
    out["usage_query"] = execution.to_dict()
    result = api.get_oauth_client_usage_query_result(execution.execution_id, client_id)
    out["usage_result"] = result.to_dict()
    out["usage_summary"] = api.get_oauth_client_usage_summary(client_id, days="7").to_dict()

    api.delete_oauth_client(new_id)
    out["get_after_delete"] = status_of(lambda: api.get_oauth_client(new_id))
    out["get_unknown"] = status_of(lambda: api.get_oauth_client("no-such-client"))
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
