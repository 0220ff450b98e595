#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds in release mode and runs every test target.
# Release mode because the numerical tests integrate many trajectories; the tests use public API only.
set -euo pipefail
cd "$(dirname "$0")/.."
GFMC_WITH_TEST_TOOLS=1 source tools/install-deps.sh
# The multi-host tests are part of the suite, not optional: a machine that cannot run the namespace lab fails
# here, with the reason, instead of passing with those tests skipped.
if ! reason=$(bash tools/testbed/lab.sh check); then
    echo "tools/test.sh: the multi-host tests cannot run here: $reason" >&2
    exit 1
fi
swift build -c release --build-tests
# The system tests start real gfmc processes; they find the binary through GFMC_BINARY.
export GFMC_BINARY="$(swift build -c release --show-bin-path)/gfmc"
# At most two tests at a time on this 2-core machine. Swift Testing ignores --num-workers (an XCTest option); its
# width is this variable (checked: 1 runs one test at a time, unset runs a suite's tests all at once). The system
# tests, which start real processes, are additionally serialized among themselves (SystemTests, .serialized).
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-2}"
swift test -c release --skip-build --parallel
# Deployment: installed binary without the toolchain, Slurm with preemption, systemd units, manifests.
bash tools/test-deploy.sh "$GFMC_BINARY"
