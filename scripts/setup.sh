#!/usr/bin/env bash
# Sets up .venv/ in this checkout: Python 3.11, the pinned TensorFlow 2.15 stack,
# disentanglement_lib 1.5 (without its TF 1.14-era pins) and mine_plugin itself.
# Safe to run again: it reinstalls mine_plugin from the checkout and keeps the rest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "mine_plugin needs Python 3.11 (TensorFlow 2.15 has no wheels for newer" \
       "Pythons); '$PYTHON' is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "== Creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
echo "== Installing the pinned stack and mine_plugin (pip install '.[${MINE_PLUGIN_EXTRAS:-test,ray}]')"
"${PIP[@]}" install -q "setuptools<81" wheel
"${PIP[@]}" install -q ".[${MINE_PLUGIN_EXTRAS:-test,ray}]"
echo "== Installing disentanglement_lib 1.5 without its TF 1.14 pins"
"${PIP[@]}" install -q --no-deps "disentanglement-lib==1.5"
# Fails here, with a message saying what to install, if the stack is incomplete.
TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python -c "import disentanglement_lib.methods.unsupervised.train, mine_plugin; print('== Ready: mine_plugin', mine_plugin.__version__, 'on disentanglement_lib 1.5')"
