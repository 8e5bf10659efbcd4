#!/usr/bin/env bash
# Fresh machine to ready: Node dependencies from the lock file, then every Debian package
# `kharness doctor` finds missing (apt-get update first). Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
./bin/kharness doctor --install
