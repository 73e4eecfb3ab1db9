#!/usr/bin/env bash
# Sets up .venv (scripts/setup.sh) and runs every test: mine_plugin's and dlib's own
# unit tests (about 20 minutes on 2 CPU cores). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest tests "$@"
