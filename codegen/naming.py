"""Wire name -> Python name rules (one place, used by every template)."""

from __future__ import annotations

import html
import keyword
import re

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_IDENT = re.compile(r"[^0-9a-zA-Z_]+")
_PLURAL_ACRONYM = re.compile(r"([A-Z]{2,})s(?=[A-Z_]|$)")

#: attribute names a model field may not take (they are Model's own API)
MODEL_RESERVED = frozenset({"to_dict", "to_json", "from_dict", "from_json", "extra_fields", "self"})
#: argument names an operation parameter may not take
PARAM_RESERVED = frozenset({"self"})


def snake(name: str) -> str:
    """``pageSize`` -> ``page_size``, ``OAuthClient`` -> ``o_auth_client``, ``$schema`` -> ``schema``,
    ``from`` -> ``from_``; always a valid identifier."""
    text = _NON_IDENT.sub("_", name)
    text = _PLURAL_ACRONYM.sub(lambda m: m.group(1).capitalize() + "s", text)  # userIDs -> userIds
    text = _BOUNDARY.sub("_", text).lower()
    text = re.sub(r"_+", "_", text).strip("_") or "field"
    if text[0].isdigit():
        text = "n_" + text
    if keyword.iskeyword(text):
        text += "_"
    return text


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is not taken yet (and record it)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def tag_words(tag: str) -> list[str]:
    text = html.unescape(tag).replace("&", " ")
    return [w for w in re.split(r"[^0-9A-Za-z]+", text) if w]


def tag_attribute(tag: str) -> str:
    """``Speech &amp; Text Analytics`` -> ``speech_text_analytics``; ``OAuth`` -> ``oauth``."""
    return "_".join(w.lower() for w in tag_words(tag))


def tag_class(tag: str) -> str:
    """``Speech &amp; Text Analytics`` -> ``SpeechTextAnalyticsAPI``; ``OAuth`` -> ``OAuthAPI``."""
    return "".join(w[0].upper() + w[1:] for w in tag_words(tag)) + "API"


def safe(name: str, reserved: frozenset[str]) -> str:
    """``name`` with a trailing underscore when it is reserved (``self`` -> ``self_``)."""
    return name + "_" if name in reserved else name
