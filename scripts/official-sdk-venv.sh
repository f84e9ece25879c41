#!/usr/bin/env bash
# Create (once) a separate virtualenv with the official SDK, for the side-by-side
# benchmarks and the sandbox's official-SDK test. Prints the interpreter's path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venvs/official
mkdir -p .venvs
exec 9>.venvs/official.lock
flock 9
if ! "$venv/bin/python" -c "import PureCloudPlatformClientV2" >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "PureCloudPlatformClientV2==269.0.0" >&2
fi
echo "$PWD/$venv/bin/python"
