#!/usr/bin/env bash
# Lints .github/workflows with actionlint (built by scripts/setup.sh). Fails when actionlint is missing in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/bin/actionlint ]; then
    .tools/bin/actionlint -no-color
    echo "actionlint: workflows OK"
elif [ "${CI:-}" = "true" ]; then
    echo "actionlint is missing; run scripts/setup.sh" >&2
    exit 1
else
    echo "actionlint not installed (needs Go); skipping the workflow lint" >&2
fi
