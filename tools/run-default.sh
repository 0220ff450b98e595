#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds gfmc in release mode and runs the quick
# default study with a coordinator and local workers on this machine. Extra arguments go to `gfmc run`.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/install-deps.sh
swift build -c release --product gfmc
exec "$(swift build -c release --show-bin-path)/gfmc" run "$@"
