#!/usr/bin/env bash
# Set everything up and run the demo against the embedded sandbox (the README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/genesys-cloud demo "$@"
