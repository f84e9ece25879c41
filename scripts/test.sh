#!/usr/bin/env bash
# Set everything up and run the whole test suite (the README's second command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
GENESYSCLOUD_OFFICIAL_SDK_PYTHON="$(bash scripts/official-sdk-venv.sh)"
export GENESYSCLOUD_OFFICIAL_SDK_PYTHON
# pytest exits non-zero when a test fails or when no test ran at all (exit 5)
exec .venv/bin/python -m pytest -n 2 -q "$@"
