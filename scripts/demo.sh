#!/usr/bin/env bash
# The main job on the embedded default stack, with no AWS account: installs what is missing, then
#   1. prints the offline plan of the stack (resources, outputs, recovery budget, policy verdict), and
#   2. runs the local failover drill against moto behind the fault proxy: every scenario (primary lost, brownout,
#      false alarm, DR not ready, concurrent invocations, the function killed after each write) with its verdict,
#      the timeline of the failover and the measured recovery time next to the stack's budget.
# Pass another stack name to use it instead: scripts/demo.sh prod
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stack="${1:-dev}"
npm run --silent plan -- --stack "$stack"
echo
npm run --silent drill -- --stack "$stack"
