"""Architect prompts of the sandbox: user prompts, system prompts and their audio resources.

* User prompts: ``GET``/``POST``/``DELETE`` (``?id=``, a batch: an ``Operation``)
  ``/api/v2/architect/prompts``, ``GET``/``PUT``/``DELETE .../prompts/{promptId}``
  (``allResources=true`` is needed to delete a prompt that has resources: else 409);
  resources: ``GET``/``POST .../resources``, ``GET``/``PUT``/``DELETE
  .../resources/{languageCode}``, ``DELETE .../resources/{languageCode}/audio``.
* System prompts (three seeded, read-only, each with ``en-us`` and ``es-us`` resources
  that have default audio): ``GET /api/v2/architect/systemprompts[/{promptId}]``,
  ``GET``/``POST .../resources``, ``GET``/``PUT``/``DELETE .../resources/{languageCode}``
  (deleting a resource that has a default removes only the custom audio).
* Listings take ``name`` (``*`` wildcards; repeated: any of them), ``description``,
  ``nameOrDescription``, ``sortBy`` (id, name, description), ``sortOrder`` (asc, desc),
  ``includeResources``, ``includeMediaUris``, ``language`` and, for user prompts,
  ``divisionId``.

A resource's audio lives in the object store under ``prompts/{user|system}/{promptId}/
{languageCode}.wav``, and the resource shows whatever is there, read lazily: no audio
-> ``uploadStatus: "created"``; a RIFF/WAVE file (PCM, A-law or mu-law) ->
``"transcoded"`` with ``durationSeconds``, ``audioFormat`` and ``mediaUri`` (a presigned
``GET``, 15 minutes); anything else -> ``"transcodeFailed"``. Two ways put it there:

* the deprecated ``uploadUri``, a multipart form post (part ``file``, bearer token;
  :mod:`._uploads`) to ``<API origin>/uploads/v2/architect/prompts/{promptId}/resources/
  {languageCode}`` (``.../systemprompts/...`` for system prompts). The real service puts
  it on ``apps.<domain>``; a loopback sandbox has a single origin, so it is on the API's;
* ``POST .../resources/{languageCode}/uploads``: a presigned ``PUT`` (``PromptAssetUpload``)
  of that object key. As before this module existed, any prompt id gets one (the sandbox
  answers ids it does not know there); the audio shows on the resource when it exists.

Choices where the service's answer is not known: a second prompt with the same name (case
insensitive) or a second resource of a language is a 409; a language code that is not
``ll[-CC...]`` is a 400.
"""

from __future__ import annotations

import re
import struct
import uuid
from typing import Any, Callable

from ._errors import ApiError, bad_request, not_found
from ._jobs import _base, wav_bytes
from ._objects import delete_object, get_object, presign, put_object, read_object
from ._resources import Ctx, Result, _name_matches, _ok, page, route
from ._uploads import UploadedFile, UploadTarget, upload_target

USER, SYSTEM = "user", "system"
API_PATHS = {USER: "/api/v2/architect/prompts", SYSTEM: "/api/v2/architect/systemprompts"}
UPLOAD_PATHS = {USER: "/uploads/v2/architect/prompts", SYSTEM: "/uploads/v2/architect/systemprompts"}
SYSTEM_PROMPTS = (("PleaseHold", "Please hold while we connect your call."),
                  ("ThankYouForCalling", "Thank you for calling."),
                  ("Welcome", "Welcome."))
SYSTEM_LANGUAGES = ("en-us", "es-us")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
_ENCODINGS = {1: "PCM", 6: "ALAW", 7: "ULAW", 0xFFFE: "PCM"}
MEDIA_URL_SECONDS = 900
#: RIFF chunks read, at most, looking for ``fmt`` and ``data``
_MAX_CHUNKS = 1000


def _prompts(state: Any, kind: str) -> dict[str, dict[str, Any]]:
    """The prompts of ``kind`` in this state (``reset`` starts afresh with the seeded system prompts)."""
    data = state.paging.get("prompts")
    if data is None:
        system = {}
        for name, description in SYSTEM_PROMPTS:
            prompt_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:systemprompt:{name}"))
            resources = {lang: {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:systemprompt:{name}:{lang}")),
                                "language": lang, "tags": {}, "languageDefault": True, "hasDefault": True,
                                "text": description} for lang in SYSTEM_LANGUAGES}
            system[prompt_id] = {"id": prompt_id, "name": name, "description": description, "resources": resources}
        data = state.paging["prompts"] = {USER: {}, SYSTEM: system}
    return data[kind]


def audio_key(kind: str, prompt_id: str, language: str) -> str:
    """The object key of a prompt resource's audio."""
    return f"prompts/{kind}/{prompt_id}/{language.lower()}.wav"


def _language(value: str) -> str:
    language = value.strip().lower()
    if not _LANGUAGE.match(language):
        raise bad_request("{language} is not a language code such as en-us", language=value)
    return language


def _wav_info(item: dict[str, Any]) -> dict[str, Any] | None:
    """``durationSeconds`` and ``audioFormat`` of a RIFF/WAVE object (cached on it), or ``None``:
    the ``fmt`` and ``data`` chunks are read from the header, never the whole file."""
    if "wav" in item:
        return item["wav"]
    info = None
    size = item["size"]
    if read_object(item, 0, 4) == b"RIFF" and read_object(item, 8, 4) == b"WAVE":
        pos, fmt, data_size = 12, None, None
        for _ in range(_MAX_CHUNKS):
            if pos + 8 > size or (fmt is not None and data_size is not None):
                break
            chunk_id, chunk_size = struct.unpack("<4sI", read_object(item, pos, 8))
            header = read_object(item, pos + 8, 16) if chunk_id == b"fmt " and chunk_size >= 16 else b""
            if len(header) == 16:
                fmt = struct.unpack("<HHIIHH", header)
            elif chunk_id == b"data":
                data_size = min(chunk_size, size - pos - 8)
            pos += 8 + chunk_size + (chunk_size & 1)
        if fmt is not None and data_size is not None and fmt[1] and fmt[2] and fmt[5]:
            code, channels, rate, _, _, bits = fmt
            audio_format: dict[str, Any] = {"channels": channels, "bitsPerSample": bits, "sampleRate": rate}
            if code in _ENCODINGS:
                audio_format["encoding"] = _ENCODINGS[code]
            info = {"durationSeconds": round(data_size / (rate * channels * bits / 8), 3), "audioFormat": audio_format}
    item["wav"] = info
    return info


def asset_view(state: Any, base: str, kind: str, prompt: dict[str, Any], asset: dict[str, Any],
               include_media: bool = True) -> dict[str, Any]:
    """The wire ``PromptAsset`` / ``SystemPromptAsset``, with the state of its audio."""
    lang = asset["language"]
    key = audio_key(kind, prompt["id"], lang)
    item = get_object(state, key)
    if item is None and asset.get("hasDefault"):
        put_object(state, key, wav_bytes(f"systemprompt:{prompt['id']}:{lang}"), "audio/wav",
                   filename=f"{prompt['name']}-{lang}.wav")
        item = get_object(state, key)
    out: dict[str, Any] = {
        "id": asset["id"], "name": f"{prompt['name']}_{lang}", "promptId": prompt["id"], "language": lang,
        "languageDefault": asset.get("languageDefault", False), "tags": dict(asset.get("tags") or {}),
        "uploadUri": f"{base}{UPLOAD_PATHS[kind]}/{prompt['id']}/resources/{lang}",
        "selfUri": f"{API_PATHS[kind]}/{prompt['id']}/resources/{lang}",
    }
    for field in ("ttsString", "text"):
        if asset.get(field) is not None:
            out[field] = asset[field]
    if kind == SYSTEM:
        out["hasDefault"] = bool(asset.get("hasDefault"))
    if item is None:
        out["uploadStatus"] = "created"
        return out
    info = _wav_info(item)
    if info is None:
        out["uploadStatus"] = "transcodeFailed"
        return out
    out.update(uploadStatus="transcoded", durationSeconds=info["durationSeconds"],
               audioFormat=dict(info["audioFormat"]))
    if include_media:
        out["mediaUri"] = presign(state, base, "GET", key, expires_in=MEDIA_URL_SECONDS)
    return out


def _bool(ctx: Ctx, name: str, default: bool) -> bool:
    value = ctx.q(name)
    return default if value is None else value.strip().lower() == "true"


def _prompt_view(ctx: Ctx, kind: str, prompt: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": prompt["id"], "name": prompt["name"], "selfUri": f"{API_PATHS[kind]}/{prompt['id']}"}
    for field in ("description", "division"):
        if prompt.get(field) is not None:
            out[field] = prompt[field]
    if _bool(ctx, "includeResources", True):
        languages = {lang.lower() for lang in ctx.q_list("language")}
        include_media = _bool(ctx, "includeMediaUris", True)
        out["resources"] = [asset_view(ctx.state, _base(ctx), kind, prompt, asset, include_media)
                            for lang, asset in sorted(prompt["resources"].items())
                            if not languages or lang in languages]
    return out


def _prompt(ctx: Ctx, kind: str) -> dict[str, Any]:
    prompt_id = ctx.path_params["promptId"]
    prompt = _prompts(ctx.state, kind).get(prompt_id)
    if prompt is None:
        raise not_found("Prompt {promptId} not found", promptId=prompt_id)
    return prompt


def _asset(ctx: Ctx, prompt: dict[str, Any]) -> dict[str, Any]:
    asset = prompt["resources"].get(ctx.path_params["languageCode"].strip().lower())
    if asset is None:
        raise not_found("Prompt {promptId} has no resource {languageCode}", promptId=prompt["id"],
                        languageCode=ctx.path_params["languageCode"])
    return asset


_SORT = {"id": lambda p: p["id"], "name": lambda p: p["name"].lower(),
         "description": lambda p: (p.get("description") or "").lower()}


def _list_prompts(ctx: Ctx, kind: str) -> Result:
    prompts = list(_prompts(ctx.state, kind).values())
    names = ctx.q_list("name")  # repeated or comma-joined (as the SDKs send arrays)
    if names:
        prompts = [p for p in prompts if any(_name_matches(p["name"], n) for n in names)]
    description = ctx.q("description")
    if description:
        prompts = [p for p in prompts if _name_matches(p.get("description") or "", description)]
    either = ctx.q("nameOrDescription")
    if either:
        prompts = [p for p in prompts if _name_matches(p["name"], either)
                   or _name_matches(p.get("description") or "", either)]
    divisions = set(ctx.q_list("divisionId")) if kind == USER else set()
    if divisions:
        prompts = [p for p in prompts if (p.get("division") or {}).get("id") in divisions]
    sort_by = (ctx.q("sortBy") or "id").strip()
    if sort_by.lower() not in _SORT:
        raise bad_request("sortBy must be one of id, name, description", paramName="sortBy")
    order = (ctx.q("sortOrder") or "asc").strip().lower()
    if order not in ("asc", "desc", "ascending", "descending"):
        raise bad_request("sortOrder must be asc or desc", paramName="sortOrder")
    prompts.sort(key=lambda p: (_SORT[sort_by.lower()](p), p["id"]), reverse=order.startswith("desc"))
    listing = page(ctx, prompts, keep=("name", "description", "nameOrDescription", "sortBy", "sortOrder",
                                       "includeMediaUris", "includeResources", "language", "divisionId"))
    listing["entities"] = [_prompt_view(ctx, kind, p) for p in listing["entities"]]
    return _ok(listing)


def _check_unique_name(ctx: Ctx, name: str, own_id: str | None = None) -> None:
    for other in _prompts(ctx.state, USER).values():
        if other["id"] != own_id and other["name"].lower() == name.lower():
            raise ApiError(409, "conflict", "A prompt named {name} already exists", {"name": name})


def _forget_audio(ctx: Ctx, kind: str, prompt: dict[str, Any], language: str) -> None:
    delete_object(ctx.state, audio_key(kind, prompt["id"], language))


# -- user prompts -----------------------------------------------------------------------------
@route("GET", API_PATHS[USER])
def list_prompts(ctx: Ctx) -> Result:
    return _list_prompts(ctx, USER)


@route("POST", API_PATHS[USER])
def create_prompt(ctx: Ctx) -> Result:
    body = ctx.body
    name = str(body["name"]).strip()
    if not name:
        raise bad_request("name must not be empty", fieldName="name")
    _check_unique_name(ctx, name)
    home = ctx.state.divisions[0]
    prompt = {"id": ctx.state.new_id(), "name": name, "description": body.get("description"),
              "division": {"id": home["id"], "name": home["name"], "selfUri": home["selfUri"]}, "resources": {}}
    _prompts(ctx.state, USER)[prompt["id"]] = prompt
    return _ok(_prompt_view(ctx, USER, prompt))


@route("DELETE", API_PATHS[USER])
def delete_prompts(ctx: Ctx) -> Result:
    prompts = _prompts(ctx.state, USER)
    for prompt_id in ctx.q_list("id"):
        prompt = prompts.pop(prompt_id, None)
        if prompt is not None:
            for lang in prompt["resources"]:
                _forget_audio(ctx, USER, prompt, lang)
    return _ok({"id": ctx.state.new_id(), "complete": True, "actionName": "DELETE", "actionStatus": "SUCCESS"})


@route("GET", API_PATHS[USER] + "/{promptId}")
def get_prompt(ctx: Ctx) -> Result:
    return _ok(_prompt_view(ctx, USER, _prompt(ctx, USER)))


@route("PUT", API_PATHS[USER] + "/{promptId}")
def put_prompt(ctx: Ctx) -> Result:
    prompt = _prompt(ctx, USER)
    name = str(ctx.body["name"]).strip()
    if not name:
        raise bad_request("name must not be empty", fieldName="name")
    _check_unique_name(ctx, name, prompt["id"])
    prompt["name"] = name
    if "description" in ctx.body:
        prompt["description"] = ctx.body["description"]
    return _ok(_prompt_view(ctx, USER, prompt))


@route("DELETE", API_PATHS[USER] + "/{promptId}")
def delete_prompt(ctx: Ctx) -> Result:
    prompt = _prompt(ctx, USER)
    if prompt["resources"] and not _bool(ctx, "allResources", False):
        raise ApiError(409, "conflict", "Prompt {promptId} has resources: delete them first or pass allResources=true",
                       {"promptId": prompt["id"]})
    for lang in prompt["resources"]:
        _forget_audio(ctx, USER, prompt, lang)
    del _prompts(ctx.state, USER)[prompt["id"]]
    return 204, None, {}


# -- resources of both kinds ------------------------------------------------------------------
def _register_resources(kind: str) -> None:
    base = API_PATHS[kind] + "/{promptId}/resources"

    def list_resources(ctx: Ctx) -> Result:
        prompt = _prompt(ctx, kind)
        assets = [asset_view(ctx.state, _base(ctx), kind, prompt, a) for _, a in sorted(prompt["resources"].items())]
        if kind == SYSTEM:
            order = (ctx.q("sortOrder") or "asc").strip().lower()
            field = ctx.q("sortBy") or "id"
            if field not in ("id", "language", "name"):
                raise bad_request("sortBy must be one of id, language, name", paramName="sortBy")
            if order not in ("asc", "desc", "ascending", "descending"):
                raise bad_request("sortOrder must be asc or desc", paramName="sortOrder")
            assets.sort(key=lambda a: (a[field], a["id"]), reverse=order.startswith("desc"))
        return _ok(page(ctx, assets, keep=("sortBy", "sortOrder")))

    def create_resource(ctx: Ctx) -> Result:
        prompt = _prompt(ctx, kind)
        body = ctx.body
        lang = _language(str(body["language"]))
        if lang in prompt["resources"]:
            raise ApiError(409, "conflict", "Prompt {promptId} already has a resource {language}",
                           {"promptId": prompt["id"], "language": lang})
        asset = {"id": ctx.state.new_id(), "language": lang, "tags": {}, "languageDefault": False}
        _update_asset(asset, body)
        prompt["resources"][lang] = asset
        return _ok(asset_view(ctx.state, _base(ctx), kind, prompt, asset))

    def get_resource(ctx: Ctx) -> Result:
        prompt = _prompt(ctx, kind)
        return _ok(asset_view(ctx.state, _base(ctx), kind, prompt, _asset(ctx, prompt)))

    def put_resource(ctx: Ctx) -> Result:
        prompt = _prompt(ctx, kind)
        asset = _asset(ctx, prompt)
        _update_asset(asset, ctx.body)
        return _ok(asset_view(ctx.state, _base(ctx), kind, prompt, asset))

    def delete_resource(ctx: Ctx) -> Result:
        prompt = _prompt(ctx, kind)
        asset = _asset(ctx, prompt)
        _forget_audio(ctx, kind, prompt, asset["language"])
        if not asset.get("hasDefault"):  # a system prompt's own language keeps its default audio
            del prompt["resources"][asset["language"]]
        return 204, None, {}

    def upload_url(ctx: Ctx) -> Result:
        """``PromptAssetUpload``: a presigned PUT URL of the resource's audio key and its headers."""
        key = audio_key(kind, ctx.path_params["promptId"], ctx.path_params["languageCode"])
        headers = {"Content-Type": "audio/wav"}
        return _ok({"url": presign(ctx.state, _base(ctx), "PUT", key, expires_in=600, headers=headers),
                    "headers": headers})

    handlers: dict[tuple[str, str], Callable[[Ctx], Result]] = {
        ("GET", base): list_resources, ("POST", base): create_resource,
        ("GET", base + "/{languageCode}"): get_resource, ("PUT", base + "/{languageCode}"): put_resource,
        ("DELETE", base + "/{languageCode}"): delete_resource,
        ("POST", base + "/{languageCode}/uploads"): upload_url,
    }
    if kind == USER:
        def delete_audio(ctx: Ctx) -> Result:
            prompt = _prompt(ctx, kind)
            asset = _asset(ctx, prompt)
            _forget_audio(ctx, kind, prompt, asset["language"])
            return 204, None, {}

        handlers[("DELETE", base + "/{languageCode}/audio")] = delete_audio
    for (method, template), handler in handlers.items():
        route(method, template)(handler)

    @upload_target(UPLOAD_PATHS[kind] + r"/(?P<promptId>[^/]+)/resources/(?P<languageCode>[^/]+)")
    def _resource_upload(state: Any, groups: dict[str, str]) -> UploadTarget:
        prompt_id, lang = groups["promptId"], groups["languageCode"].strip().lower()

        def lookup(state: Any) -> tuple[dict[str, Any], dict[str, Any]]:
            prompt = _prompts(state, kind).get(prompt_id)
            asset = prompt["resources"].get(lang) if prompt is not None else None
            if prompt is None or asset is None:
                raise not_found("Prompt {promptId} has no resource {languageCode}", promptId=prompt_id,
                                languageCode=groups["languageCode"])
            return prompt, asset

        lookup(state)

        def finish(state: Any, upload: UploadedFile, token: Any, base: str) -> dict[str, Any]:
            prompt, asset = lookup(state)  # deleted (or the org reset) while the body streamed: 404
            upload.writer.commit(state, audio_key(kind, prompt_id, lang), upload.content_type,
                                 upload.filename or f"{prompt['name']}-{lang}.wav")
            view = asset_view(state, base, kind, prompt, asset)
            return {key: view[key] for key in ("id", "promptId", "language", "uploadStatus", "durationSeconds",
                                               "mediaUri", "selfUri") if key in view}

        return UploadTarget(finish=finish)


def _update_asset(asset: dict[str, Any], body: dict[str, Any]) -> None:
    for field in ("ttsString", "text"):
        if field in body and (body[field] is None or isinstance(body[field], str)):
            asset[field] = body[field]
    if isinstance(body.get("tags"), dict):
        asset["tags"] = {k: [t for t in v if isinstance(t, str)] for k, v in body["tags"].items()
                         if isinstance(v, list)}
    if isinstance(body.get("languageDefault"), bool):
        asset["languageDefault"] = body["languageDefault"]


_register_resources(USER)
_register_resources(SYSTEM)


# -- system prompts ---------------------------------------------------------------------------
@route("GET", API_PATHS[SYSTEM])
def list_system_prompts(ctx: Ctx) -> Result:
    return _list_prompts(ctx, SYSTEM)


@route("GET", API_PATHS[SYSTEM] + "/{promptId}")
def get_system_prompt(ctx: Ctx) -> Result:
    return _ok(_prompt_view(ctx, SYSTEM, _prompt(ctx, SYSTEM)))
