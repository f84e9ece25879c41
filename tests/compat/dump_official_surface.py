"""Print the official SDK's API surface as JSON: per ``*Api`` class and method, the
positional parameters and every keyword it accepts; per model, its ``attribute_map``.

Usage: OFFICIAL_PYTHON dump_official_surface.py  (runs in the official SDK's virtualenv)
"""

import inspect
import json
import re
import sys

from PureCloudPlatformClientV2 import apis, models

out = {"apis": {}, "models": {}}
for name in dir(apis):
    cls = getattr(apis, name)
    if not (isinstance(cls, type) and name.endswith("Api")):
        continue
    methods = {}
    for method, func in vars(cls).items():
        if method.startswith("_") or not callable(func):
            continue
        positional = [p for p in inspect.signature(func).parameters if p not in ("self", "kwargs")]
        listed = re.search(r"all_params = \[(.*?)\]", inspect.getsource(func)).group(1)
        methods[method] = {"positional": positional, "keywords": re.findall(r"'([^']+)'", listed) + ["callback"]}
    out["apis"][name] = methods
for name in dir(models):
    cls = getattr(models, name)
    if isinstance(cls, type) and cls.__module__.startswith("PureCloudPlatformClientV2.models."):
        out["models"][name] = cls().attribute_map
json.dump(out, sys.stdout)
