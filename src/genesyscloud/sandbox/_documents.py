"""Content management of the sandbox: workspaces and documents, with real uploads.

* Workspaces: ``GET``/``POST /api/v2/contentmanagement/workspaces``, ``GET``/``PUT``/``DELETE
  .../workspaces/{workspaceId}`` (``moveChildrenToWorkspaceId`` moves the documents, else
  they go with it), ``GET .../workspaces/{workspaceId}/documents``. One ``GROUP``
  workspace is seeded ("Sandbox Documents"). ``expand=summary`` / ``expand=acl`` add the
  document count and bytes / the caller's rights.
* Documents: ``POST /api/v2/contentmanagement/documents`` (``DocumentUpload``; also
  ``copySource`` / ``moveSource``), ``GET``/``POST`` (``DocumentUpdate``)/``DELETE
  .../documents/{documentId}``, ``GET .../documents?workspaceId=`` (entity listing;
  ``name`` with ``*`` wildcards, ``sortBy`` name/dateCreated/dateModified/contentLength,
  ``sortOrder`` ascending/descending).
* A new document has ``changeNumber`` 1, ``uploadStatus {"id": "pending"}``,
  ``uploadMethod: "MULTIPART_POST"`` and an ``uploadDestinationUri``:
  ``<API origin>/uploads/v4/services/contentmanagement/documents/{documentId}``. The real
  service puts it on ``apps.<domain>``; a loopback sandbox has a single origin, so it is on
  the API's own (the origin the client used). A form post there with a part ``file`` and
  a bearer token (:mod:`._uploads`) stores the bytes and sets ``contentType``,
  ``contentLength``, ``filename``, ``dateUploaded``, ``uploadedBy``, ``contentUri``,
  ``uploadStatus {"id": "complete"}`` and bumps ``changeNumber``; a second upload
  replaces the content and bumps it again.
* ``POST .../documents/{documentId}/content`` (``ReplaceRequest``; a ``changeNumber``
  other than the document's is a 409) answers a ``ReplaceResponse`` with a fresh
  ``uploadDestinationUri`` (the same endpoint) and ``uploadMethod``; the old content
  stays until the new upload arrives.
* ``GET .../documents/{documentId}/content`` answers a ``DownloadResponse`` whose
  ``contentLocationUri`` is a presigned ``GET`` of the object store (:mod:`._objects`),
  served with the uploaded content type and a ``Content-Disposition`` with the file name
  (``disposition=inline`` or ``attachment``, the default); ``404`` before any upload. The
  sandbox converts nothing: a ``contentType`` other than the stored one gets the stored
  content, as the service does for a conversion it does not support.

Choices where the service's answer is not known: an unknown workspace or document named in
a request *body or query* (``workspace.id``, ``workspaceId``, ``copySource``,
``moveSource``, ``moveChildrenToWorkspaceId``) is a ``400 bad.request`` naming it; one in
the *path* is a ``404 not.found``. ``tagIds`` are accepted and not resolved.
"""

from __future__ import annotations

import uuid
from typing import Any

from ._errors import ApiError, bad_request, not_found
from ._jobs import _base
from ._objects import content_disposition, copy_object, delete_object, get_object, presign
from ._resources import Ctx, Result, _name_matches, _ok, iso, page, route
from ._seed import DATE_CREATED
from ._uploads import UploadedFile, UploadTarget, upload_target

WORKSPACES = "/api/v2/contentmanagement/workspaces"
DOCUMENTS = "/api/v2/contentmanagement/documents"
#: the upload destination's path (on the API origin), before the document id
UPLOAD_PATH = "/uploads/v4/services/contentmanagement/documents/"
UPLOAD_METHOD = "MULTIPART_POST"
PENDING = {"id": "pending"}
COMPLETE = {"id": "complete"}
#: every right, for the caller (the sandbox has no per-workspace permissions)
WORKSPACE_ACL = ["document:create", "document:viewContent", "document:viewMetadata", "document:download",
                 "document:update", "document:delete", "document:share", "workspace:update", "workspace:delete",
                 "workspace:admin"]
DOCUMENT_ACL = ["document:viewContent", "document:viewMetadata", "document:download", "document:update",
                "document:delete", "document:share"]


def _cm(state: Any) -> dict[str, Any]:
    """Workspaces and documents of this state (``reset`` starts afresh with the seeded workspace)."""
    data = state.paging.get("contentmanagement")
    if data is None:
        state.ensure_loaded()
        ws_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:workspace:{state.config.seed}"))
        seeded = {"id": ws_id, "name": "Sandbox Documents", "type": "GROUP", "isCurrentUserWorkspace": False,
                  "bucket": "sandbox", "dateCreated": DATE_CREATED, "dateModified": DATE_CREATED,
                  "description": "The sandbox's seeded workspace.",
                  "selfUri": f"{WORKSPACES}/{ws_id}"}
        data = state.paging["contentmanagement"] = {"workspaces": {ws_id: seeded}, "documents": {}}
    return data


def actor_ref(state: Any, token: Any) -> dict[str, Any]:
    """The ``DomainEntityRef`` of who acts: the token's user, or its OAuth client (client credentials)."""
    if token is not None and token.user_id and token.user_id in state.users:
        user = state.users[token.user_id]
        return {"id": user["id"], "name": user["name"], "selfUri": user["selfUri"]}
    client_id = token.client_id if token is not None else ""
    client = state.clients.get(client_id) or {}
    return {"id": client_id, "name": client.get("name", client_id), "selfUri": f"/api/v2/oauth/clients/{client_id}"}


def _object_key(document_id: str) -> str:
    return f"contentmanagement/documents/{document_id}"


def _ws_ref(ws: dict[str, Any]) -> dict[str, Any]:
    return {"id": ws["id"], "name": ws["name"], "selfUri": ws["selfUri"]}


def _expand(ctx: Ctx) -> set[str]:
    return set(ctx.q_list("expand"))


# -- workspaces -------------------------------------------------------------------------------
def _workspace_view(ctx: Ctx, ws: dict[str, Any]) -> dict[str, Any]:
    out = dict(ws)
    expand = _expand(ctx)
    if "summary" in expand:
        docs = [d for d in _cm(ctx.state)["documents"].values() if d["workspace"]["id"] == ws["id"]]
        out["summary"] = {"totalDocumentCount": len(docs),
                          "totalDocumentByteCount": sum(d.get("contentLength", 0) for d in docs)}
    if "acl" in expand:
        out["acl"] = list(WORKSPACE_ACL)
    return out


def _lookup(ctx: Ctx, table: str, param: str, label: str) -> dict[str, Any]:
    """The workspace or document the path names, or a 404 naming it."""
    key = ctx.path_params[param]
    item = _cm(ctx.state)[table].get(key)
    if item is None:
        raise not_found(f"{label} {{{param}}} not found", **{param: key})
    return item  # type: ignore[no-any-return]


def _workspace(ctx: Ctx) -> dict[str, Any]:
    return _lookup(ctx, "workspaces", "workspaceId", "Workspace")


def _referenced_workspace(ctx: Ctx, ws_id: Any, field: str) -> dict[str, Any]:
    ws = _cm(ctx.state)["workspaces"].get(ws_id) if isinstance(ws_id, str) else None
    if ws is None:
        raise ApiError(400, "bad.request", "Workspace {workspaceId} does not exist ({fieldName}).",
                       {"workspaceId": str(ws_id), "fieldName": field},
                       [{"errorCode": "invalid.value", "fieldName": field}])
    return ws


@route("GET", WORKSPACES)
def list_workspaces(ctx: Ctx) -> Result:
    items = sorted(_cm(ctx.state)["workspaces"].values(), key=lambda w: (w["name"].lower(), w["id"]))
    listing = page(ctx, items, keep=("access", "expand"))
    listing["entities"] = [_workspace_view(ctx, w) for w in listing["entities"]]
    return _ok(listing)


@route("POST", WORKSPACES)
def create_workspace(ctx: Ctx) -> Result:
    body = ctx.body
    ws_id = ctx.state.new_id()
    now = iso(ctx.state.now())
    ws = {"id": ws_id, "name": body["name"], "type": "GROUP", "isCurrentUserWorkspace": False,
          "bucket": body.get("bucket") or "sandbox", "dateCreated": now, "dateModified": now,
          "selfUri": f"{WORKSPACES}/{ws_id}"}
    if body.get("description") is not None:
        ws["description"] = body["description"]
    _cm(ctx.state)["workspaces"][ws_id] = ws
    return _ok(_workspace_view(ctx, ws))


@route("GET", WORKSPACES + "/{workspaceId}")
def get_workspace(ctx: Ctx) -> Result:
    return _ok(_workspace_view(ctx, _workspace(ctx)))


@route("PUT", WORKSPACES + "/{workspaceId}")
def put_workspace(ctx: Ctx) -> Result:
    ws = _workspace(ctx)
    body = ctx.body
    ws["name"] = body["name"]
    for key in ("description", "bucket"):
        if body.get(key) is not None:
            ws[key] = body[key]
    ws["dateModified"] = iso(ctx.state.now())
    for doc in _cm(ctx.state)["documents"].values():
        if doc["workspace"]["id"] == ws["id"]:
            doc["workspace"] = _ws_ref(ws)
    return _ok(_workspace_view(ctx, ws))


@route("DELETE", WORKSPACES + "/{workspaceId}")
def delete_workspace(ctx: Ctx) -> Result:
    ws = _workspace(ctx)
    target_id = ctx.q("moveChildrenToWorkspaceId")
    target = None
    if target_id:
        target = _referenced_workspace(ctx, target_id, "moveChildrenToWorkspaceId")
        if target is ws:
            raise bad_request("moveChildrenToWorkspaceId must name another workspace",
                              fieldName="moveChildrenToWorkspaceId")
    documents = _cm(ctx.state)["documents"]
    for doc in [d for d in documents.values() if d["workspace"]["id"] == ws["id"]]:
        if target is not None:
            doc["workspace"] = _ws_ref(target)
        else:
            _forget_document(ctx, doc)
    del _cm(ctx.state)["workspaces"][ws["id"]]
    return 204, None, {}


@route("GET", WORKSPACES + "/{workspaceId}/documents")
def list_workspace_documents(ctx: Ctx) -> Result:
    return _list_documents(ctx, _workspace(ctx), keep=("expand", "sortBy", "sortOrder"))


# -- documents --------------------------------------------------------------------------------
def document_view(ctx_or_base: Ctx | str, doc: dict[str, Any], expand: set[str] | frozenset[str] = frozenset()
                  ) -> dict[str, Any]:
    """The wire ``Document``: its stored fields plus the URLs on the API origin the client used."""
    base = ctx_or_base if isinstance(ctx_or_base, str) else _base(ctx_or_base)
    out = dict(doc)
    out["uploadDestinationUri"] = f"{base}{UPLOAD_PATH}{doc['id']}"
    out["uploadMethod"] = UPLOAD_METHOD
    if doc.get("dateUploaded"):
        out["contentUri"] = f"{base}{DOCUMENTS}/{doc['id']}/content"
    if "acl" in expand:
        out["acl"] = list(DOCUMENT_ACL)
    return out


def _document(ctx: Ctx) -> dict[str, Any]:
    return _lookup(ctx, "documents", "documentId", "Document")


def _forget_document(ctx: Ctx, doc: dict[str, Any]) -> None:
    _cm(ctx.state)["documents"].pop(doc["id"], None)
    delete_object(ctx.state, _object_key(doc["id"]))


_SORT_KEYS = {"name": lambda d: d["name"].lower(), "datecreated": lambda d: d["dateCreated"],
              "datemodified": lambda d: d["dateModified"], "contentlength": lambda d: d.get("contentLength", 0)}


def _list_documents(ctx: Ctx, ws: dict[str, Any], keep: tuple[str, ...]) -> Result:
    docs = [d for d in _cm(ctx.state)["documents"].values() if d["workspace"]["id"] == ws["id"]]
    name = ctx.q("name")
    if name:
        docs = [d for d in docs if _name_matches(d["name"], name)]
    sort_by = (ctx.q("sortBy") or "name").lower()
    if sort_by not in _SORT_KEYS:
        raise bad_request("sortBy must be one of name, dateCreated, dateModified, contentLength", paramName="sortBy")
    order = (ctx.q("sortOrder") or "ascending").lower()
    if order not in ("ascending", "descending", "asc", "desc"):
        raise bad_request("sortOrder must be ascending or descending", paramName="sortOrder")
    docs.sort(key=lambda d: (_SORT_KEYS[sort_by](d), d["id"]), reverse=order.startswith("desc"))
    listing = page(ctx, docs, keep=keep)
    expand = _expand(ctx)
    listing["entities"] = [document_view(ctx, d, expand) for d in listing["entities"]]
    return _ok(listing)


@route("GET", DOCUMENTS)
def list_documents(ctx: Ctx) -> Result:
    ws = _referenced_workspace(ctx, ctx.q("workspaceId"), "workspaceId")
    return _list_documents(ctx, ws, keep=("workspaceId", "name", "expand", "sortBy", "sortOrder"))


def _referenced_document(ctx: Ctx, doc_id: str, field: str) -> dict[str, Any]:
    doc = _cm(ctx.state)["documents"].get(doc_id)
    if doc is None:
        raise ApiError(400, "bad.request", "Document {documentId} does not exist ({fieldName}).",
                       {"documentId": doc_id, "fieldName": field}, [{"errorCode": "invalid.value", "fieldName": field}])
    return doc


@route("POST", DOCUMENTS)
def create_document(ctx: Ctx) -> Result:
    body = ctx.body
    ws = _referenced_workspace(ctx, (body.get("workspace") or {}).get("id"), "workspace.id")
    now = iso(ctx.state.now())
    move_source = ctx.q("moveSource")
    if move_source:
        doc = _referenced_document(ctx, move_source, "moveSource")
        doc.update(name=body["name"], workspace=_ws_ref(ws), dateModified=now, changeNumber=doc["changeNumber"] + 1)
        return _ok(document_view(ctx, doc))
    doc_id = ctx.state.new_id()
    doc: dict[str, Any] = {
        "id": doc_id, "name": body["name"], "changeNumber": 1, "dateCreated": now, "dateModified": now,
        "workspace": _ws_ref(ws), "createdBy": actor_ref(ctx.state, ctx.token), "systemType": "DOCUMENT",
        "read": False, "tags": [t for t in body.get("tags") or [] if isinstance(t, str)],
        "sharingStatus": "NONE", "uploadStatus": dict(PENDING), "selfUri": f"{DOCUMENTS}/{doc_id}",
    }
    copy_source = ctx.q("copySource")
    if copy_source:
        source = _referenced_document(ctx, copy_source, "copySource")
        if copy_object(ctx.state, _object_key(source["id"]), _object_key(doc_id)):
            for key in ("contentType", "contentLength", "filename", "dateUploaded", "uploadedBy", "uploadStatus"):
                if key in source:
                    doc[key] = source[key]
    _cm(ctx.state)["documents"][doc_id] = doc
    return _ok(document_view(ctx, doc))


@route("GET", DOCUMENTS + "/{documentId}")
def get_document(ctx: Ctx) -> Result:
    return _ok(document_view(ctx, _document(ctx), _expand(ctx)))


def _check_change_number(doc: dict[str, Any], body: dict[str, Any]) -> None:
    wanted = body.get("changeNumber")
    if wanted is not None and wanted != doc["changeNumber"]:
        raise ApiError(409, "conflict", "The changeNumber {changeNumber} is not the document's ({current}).",
                       {"changeNumber": str(wanted), "current": str(doc["changeNumber"])})


@route("POST", DOCUMENTS + "/{documentId}")
def update_document(ctx: Ctx) -> Result:
    doc = _document(ctx)
    body = ctx.body
    _check_change_number(doc, body)
    doc["name"] = body["name"]
    if isinstance(body.get("read"), bool):
        doc["read"] = body["read"]
    tags = [t for t in doc.get("tags", []) if t not in set(body.get("removeTags") or [])]
    tags += [t for t in body.get("addTags") or [] if isinstance(t, str) and t not in tags]
    doc["tags"] = tags
    doc["changeNumber"] += 1
    doc["dateModified"] = iso(ctx.state.now())
    return _ok(document_view(ctx, doc, _expand(ctx)))


@route("DELETE", DOCUMENTS + "/{documentId}")
def delete_document(ctx: Ctx) -> Result:
    _forget_document(ctx, _document(ctx))
    return 204, None, {}


@route("POST", DOCUMENTS + "/{documentId}/content")
def replace_document(ctx: Ctx) -> Result:
    doc = _document(ctx)
    body = ctx.body or {}
    _check_change_number(doc, body)
    if isinstance(body.get("name"), str) and body["name"]:
        doc["name"] = body["name"]
        doc["dateModified"] = iso(ctx.state.now())
    return _ok({"id": doc["id"], "name": doc["name"], "changeNumber": doc["changeNumber"],
                "uploadStatus": dict(PENDING), "uploadDestinationUri": f"{_base(ctx)}{UPLOAD_PATH}{doc['id']}",
                "uploadMethod": UPLOAD_METHOD})


@route("GET", DOCUMENTS + "/{documentId}/content")
def document_content(ctx: Ctx) -> Result:
    doc = _document(ctx)
    disposition = (ctx.q("disposition") or "attachment").lower()
    if disposition not in ("attachment", "inline"):
        raise bad_request("disposition must be attachment or inline", paramName="disposition")
    key = _object_key(doc["id"])
    item = get_object(ctx.state, key)
    if item is None or not doc.get("dateUploaded"):
        raise not_found("Document {documentId} has no content yet: upload it to its uploadDestinationUri",
                        documentId=doc["id"])
    url = presign(ctx.state, _base(ctx), "GET", key,
                  disposition=content_disposition(disposition, doc.get("filename") or doc["name"]))
    return _ok({"contentLocationUri": url})


# -- the upload destination (POST <uploadDestinationUri>, see _uploads.py) -----------------------
@upload_target(r"/uploads/v4/services/contentmanagement/documents/(?P<documentId>[^/]+)")
def _document_upload(state: Any, groups: dict[str, str]) -> UploadTarget:
    doc_id = groups["documentId"]
    if doc_id not in _cm(state)["documents"]:
        raise not_found("Document {documentId} not found", documentId=doc_id)

    def finish(state: Any, upload: UploadedFile, token: Any, base: str) -> dict[str, Any]:
        doc = _cm(state)["documents"].get(doc_id)
        if doc is None:  # deleted (or the org reset) while the body streamed
            raise not_found("Document {documentId} not found", documentId=doc_id)
        filename = upload.filename or doc["name"]
        upload.writer.commit(state, _object_key(doc_id), upload.content_type, filename)
        now = iso(state.now())
        doc.update(contentType=upload.content_type, contentLength=upload.size, filename=filename,
                   dateUploaded=now, dateModified=now, uploadedBy=actor_ref(state, token),
                   uploadStatus=dict(COMPLETE), changeNumber=doc["changeNumber"] + 1)
        view = document_view(base, doc)
        return {key: view[key] for key in ("id", "name", "changeNumber", "uploadStatus", "contentType",
                                           "contentLength", "filename", "contentUri", "selfUri")}

    return UploadTarget(finish=finish)
