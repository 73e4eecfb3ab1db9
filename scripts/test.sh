#!/usr/bin/env bash
# Sets up .venv (scripts/setup.sh) and runs every test: mine_plugin's and dlib's own
# unit tests (about 35 minutes on 2 idle CPU cores). Extra arguments go to pytest; a test
# file or folder among them runs that alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# Arguments naming a test file or folder (tests/test_compat.py, tests/x.py::test_y)
# choose what runs; without one, the whole tests/ folder runs.
targets=(tests)
for arg in "$@"; do
  if [[ "$arg" != -* && -e "${arg%%::*}" ]]; then targets=(); break; fi
done
exec .venv/bin/python -m pytest "${targets[@]}" "$@"
