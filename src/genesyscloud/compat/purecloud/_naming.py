"""Names as the official SDK spells them, derived from our descriptors.

Our generator and the official one agree on almost every name; the differences are
rules, kept here in one place and checked against the official package by
``tests/compat/test_surface.py``:

* API class per tag: the tag's words (HTML entities decoded, punctuation dropped), each
  with its first letter upper-cased, then ``Api`` (``"Speech &amp; Text Analytics"`` ->
  ``SpeechTextAnalyticsApi``, ``"OAuth"`` -> ``OAuthApi``).
* A few words are reserved in the official SDK and carry a ``pc`` prefix there
  (``pcPass``, ``pcSelf``, ``pcFrom``, ``pcProperty``...), where we use ``pass_`` etc.
* A body parameter is called after the definition's parameter name in snake case
  (``data_table_row``); ours is always ``body``.
"""

from __future__ import annotations

import html
import keyword
import re

__all__ = ["api_class_name", "official_name", "body_name"]

#: names the official generator prefixes with ``pc`` (Python keywords and a few builtins it avoids)
RESERVED = frozenset(keyword.kwlist) | {"property", "self"}


#: wire names whose official attribute name follows no rule we apply (checked by the tests)
WIRE_ALIASES = {
    "inheritPhoneTrunkBasesIPv4": "inherit_phone_trunk_bases_ipv4",
    "inheritPhoneTrunkBasesIPv6": "inherit_phone_trunk_bases_ipv6",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "urnietfparamsscimschemasextensionenterprise2_0_user",
    "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User":
        "urnietfparamsscimschemasextensiongenesyspurecloud2_0_user",
}


def attribute_name(python_name: str, wire_name: str) -> str:
    """Official attribute name of a model field."""
    return WIRE_ALIASES.get(wire_name) or official_name(python_name)


def api_class_name(tag: str) -> str:
    """``"Speech &amp; Text Analytics"`` -> ``"SpeechTextAnalyticsApi"``."""
    words = re.split(r"[^A-Za-z0-9]+", html.unescape(tag))
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "Api"


def official_name(python_name: str) -> str:
    """Our attribute / parameter name -> the official one (``pass_`` -> ``pcPass``)."""
    base = python_name[:-1] if python_name.endswith("_") else python_name
    if base in RESERVED:
        return "pc" + base[:1].upper() + base[1:]
    return python_name


def body_name(wire_name: str) -> str:
    """Official name of a body parameter: ``body`` stays, ``dataTableRow`` -> ``data_table_row``,
    ``sIPSearchPublicRequest`` -> ``sip_search_public_request``."""
    text = wire_name[:1].upper() + wire_name[1:]
    text = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return official_name(text.lower())
