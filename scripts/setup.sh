#!/usr/bin/env bash
# Installs everything the product needs on this machine, idempotently:
#   - Node packages exactly as locked (npm ci), when node_modules is missing or older than the lock file;
#   - a Python virtual environment in .venv with moto (the local AWS API emulator), when missing or outdated;
#   - another in .tools/checkov with Checkov (the scanner of Terraform plans the tests run), when missing or outdated;
#   - actionlint (GitHub Actions workflow linter), built from the Go module proxy, when Go is present.
# Needs Node 20+ and Python 3.10+.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: $1 is required ($2)" >&2; exit 1; }; }
need node "Node.js 20 or later"
need npm "npm, which comes with Node.js"
need python3 "Python 3.10 or later"

node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error(`setup: Node.js 20+ is required, found ${process.versions.node}`); process.exit(1); }'
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "setup: Python 3.10+ is required, found " + sys.version.split()[0])'

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing Node packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -x .venv/bin/moto_server ] || [ requirements-moto.txt -nt .venv/.installed ]; then
    echo "setup: creating .venv with moto"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-moto.txt
    touch .venv/.installed
fi

if [ ! -x .tools/checkov/bin/checkov ] || [ requirements-checkov.txt -nt .tools/checkov/.installed ]; then
    echo "setup: creating .tools/checkov with Checkov"
    python3 -m venv .tools/checkov
    .tools/checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
    touch .tools/checkov/.installed
fi

ACTIONLINT_VERSION=v1.7.12
if command -v go >/dev/null 2>&1; then
    if [ ! -x .tools/bin/actionlint ] || ! .tools/bin/actionlint -version 2>/dev/null | grep -q "${ACTIONLINT_VERSION#v}"; then
        echo "setup: building actionlint ${ACTIONLINT_VERSION}"
        GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
    fi
else
    echo "setup: Go not found; the workflow lint (actionlint) will be skipped" >&2
fi
