#!/usr/bin/env bash
# Builds gfmc in release mode and runs every benchmark (`gfmc bench`: engines, NumPy/SciPy baseline, per-RHS
# cost, the paper's whole wide-network study, coordinator), writing the Markdown that docs/benchmarks.md pastes.
#
# Usage: tools/bench.sh [OUTDIR] [gfmc bench options…]
#   tools/bench.sh                      # everything, defaults (about 17 minutes on 2 cores, lightly loaded)
#   tools/bench.sh .build/bench-quick --quick    # the quick version (< 1 minute of benchmarking on an idle machine)
#   tools/bench.sh .build/bench-part --parts engines,baseline --widths 2000
# Output: OUTDIR/bench.md (tables), OUTDIR/bench.json (every measurement), OUTDIR/bench.log (progress),
#         OUTDIR/machine.txt (commit, nproc, CPU, memory, load before and after). Default OUTDIR: .build/bench (ignored by git).
# Timings mean something only on an otherwise idle machine: check the load averages in machine.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
out=".build/bench"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then out="$1"; shift; fi
mkdir -p "$out"

swift build -c release --product gfmc

dirty=""
git diff --quiet HEAD -- Sources Package.swift tools 2>/dev/null || dirty=" (with uncommitted changes)"
{
  echo "- commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$dirty"
  echo "- nproc: $(nproc)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- python: $(python3 -c 'import numpy, scipy, sys; print(sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__)')"
  echo "- started: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- command: .build/release/gfmc bench --json $out/bench.json $*"
} > "$out/machine.txt"

.build/release/gfmc bench --json "$out/bench.json" "$@" > "$out/bench.md" 2> >(tee "$out/bench.log" >&2)
echo "- finished: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

cat "$out/machine.txt"
echo
cat "$out/bench.md"
