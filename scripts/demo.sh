#!/usr/bin/env bash
# The main job on the embedded default stack, with no AWS account: installs what is missing, then prints the
# offline plan of the dev stack (resources, outputs, recovery objectives, policy verdict).
# Pass another stack name to plan it instead: scripts/demo.sh prod
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stack="${1:-dev}"
npm run --silent plan -- --stack "$stack"
