#!/usr/bin/env bash
# Every test: installs what is missing (scripts/setup.sh), then type-checks, lints (ESLint, Prettier, actionlint)
# and runs the whole mocha suite (unit, policy and integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
