#!/usr/bin/env bash
# Sets up .venv (scripts/setup.sh), then runs the main job (scripts/main_job.py):
# dlib's train -> postprocess -> evaluate (MIG, DCI) on synthetic squares.
# Arguments go to scripts/main_job.py (--model, --dataset, --steps, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/main_job.py "$@"
