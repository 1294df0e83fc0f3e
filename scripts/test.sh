#!/usr/bin/env bash
# Every test: installs what is missing (scripts/setup.sh), then type-checks, lints (ESLint, Prettier, actionlint)
# and runs the whole mocha suite (unit, policy and integration tests). The three run side by side (each is one
# process, and the machine has two cores or more); their output is printed in order once each has finished, the
# mocha summary last. The exit status is non-zero when any of them failed. `npm test` runs the same checks one
# after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
npm run --silent typecheck >"$logs/typecheck" 2>&1 &
typecheck=$!
npm run --silent lint >"$logs/lint" 2>&1 &
lint=$!
npm run --silent test:unit >"$logs/mocha" 2>&1 &
mocha=$!

status=0
for step in typecheck lint mocha; do
    if wait "${!step}"; then
        result="passed"
    else
        result="FAILED"
        status=1
    fi
    echo "=== ${step}: ${result}"
    cat "$logs/$step"
done
exit "$status"
