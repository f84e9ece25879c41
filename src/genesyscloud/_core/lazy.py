"""Name -> module maps and lazy model resolution.

Generated code never imports other model modules eagerly: a model field names its
type as a string, resolved here the first time a value of that field is decoded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Model

_resolved: dict[str, Any] = {}


def resolve_model(name: str) -> type[Model]:
    """Return the model class for a definition name (``"OAuthClient"``).

    Raises:
        LookupError: no definition of that name exists in this SDK version.
    """
    cls = _resolved.get(name)
    if cls is not None:
        return cls
    from genesyscloud.models import _index

    module_name = _index.module_of(name)
    if module_name is None:
        raise LookupError(f"no model named {name!r} in genesyscloud.models")
    module = importlib.import_module(f"genesyscloud.models.{module_name}")
    cls = getattr(module, name)
    _resolved[name] = cls
    return cls
