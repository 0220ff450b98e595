#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds in release mode and runs every test target.
# Release mode because the numerical tests integrate many trajectories; the tests use public API only.
set -euo pipefail
cd "$(dirname "$0")/.."
GFMC_WITH_TEST_TOOLS=1 source tools/install-deps.sh
swift build -c release --build-tests
# The system tests start real gfmc processes; they find the binary through GFMC_BINARY.
export GFMC_BINARY="$(swift build -c release --show-bin-path)/gfmc"
swift test -c release --skip-build --parallel --num-workers 2
