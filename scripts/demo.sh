#!/usr/bin/env bash
# Set up what the demo needs and run it against the embedded sandbox (the README's first command).
# Installs only the `sandbox` and `cli` extras (editable), and only when needed: a stamp in
# .venv holds the extras and pyproject.toml's hash, so later runs start the demo at once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.genesyscloud-demo-stamp
want="sandbox,cli $(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
if [ ! -x .venv/bin/genesys-cloud ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "installing genesyscloud[sandbox,cli] into .venv ..." >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[sandbox,cli]"
  printf '%s\n' "$want" > "$stamp"
fi
exec .venv/bin/genesys-cloud demo "$@"
