#!/usr/bin/env bash
# Installs the real azure-cli into its own virtual environment (.venv-azure), apart from erplan's:
# the generated `az` command lines are parsed by its argument parser in tests/test_generate_azure.py.
# azure-cli pins many packages of its own; keeping it apart leaves erplan's environment as tested.
# Usage: scripts/install-azure-cli.sh [PYTHON]   (idempotent: does nothing when already installed)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
VENV=.venv-azure
STAMP="$VENV/.installed"
VERSION_SPEC='azure-cli>=2.60'
if [ -f "$STAMP" ] && "$VENV/bin/python" -c 'import azure.cli.core' 2>/dev/null; then
  exit 0
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "$VERSION_SPEC"
touch "$STAMP"
echo "azure-cli: installed in $VENV ($("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("azure-cli"))'))"
