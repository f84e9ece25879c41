#!/usr/bin/env bash
# Build the documentation site: `bash scripts/docs.sh [SITE_DIR] [SOURCE_DIR]`.
# Generates the API reference (python -m codegen.docs) next to a copy of docs/ into
# SOURCE_DIR (default build/site-src, never committed), then runs `mkdocs build --strict`
# (any warning, broken link or missing anchor fails) into SITE_DIR (default site/).
set -euo pipefail
cd "$(dirname "$0")/.."
site="$(realpath -m "${1:-site}")"
src="$(realpath -m "${2:-build/site-src}")"
# GENESYSCLOUD_DOCS_PYTHON: the interpreter with the `docs` extra (default .venv, set up on first use)
py="${GENESYSCLOUD_DOCS_PYTHON:-.venv/bin/python}"
if [ -z "${GENESYSCLOUD_DOCS_PYTHON:-}" ] && [ ! -x .venv/bin/mkdocs ]; then
  bash scripts/setup.sh
fi
start=$(date +%s)
"$py" -m codegen.docs "$src"
NO_MKDOCS_2_WARNING=1 "$py" -m mkdocs build --strict --quiet -f "$src/mkdocs.yml" -d "$site"
echo "site built in $(( $(date +%s) - start )) s: $site ($(find "$site" -name '*.html' | wc -l) HTML pages)"
