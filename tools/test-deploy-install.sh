#!/usr/bin/env bash
# Checks an installed gfmc (tools/install.sh) against the development build: with the Swift toolchain hidden
# (a private mount namespace with an empty directory over its directory), the installed binary runs a small
# study and writes a trials.csv byte-identical to the development build's; `gfmc --version` names a commit.
#
#   bash tools/test-deploy-install.sh INSTALLED_GFMC DEVELOPMENT_GFMC
set -euo pipefail
installed=${1:?usage: test-deploy-install.sh INSTALLED_GFMC DEVELOPMENT_GFMC}
development=${2:?usage: test-deploy-install.sh INSTALLED_GFMC DEVELOPMENT_GFMC}
[ "$(id -u)" = 0 ] || { echo "test-deploy-install: needs root (mount namespace)" >&2; exit 1; }
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")")
[ -d "$toolchain/usr/lib/swift" ] || { echo "test-deploy-install: cannot locate the Swift toolchain from swiftc" >&2; exit 1; }
work=$(mktemp -d /tmp/gfmc-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "test-deploy-install: FAIL: $*" >&2; exit 1; }

cat > "$work/study.json" <<'JSON'
{
  "name": "install-test", "seed": 3,
  "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10, "output_dim": 1, "noise": 0.01, "data_seed": 9},
  "init": {"kind": "width_scaled", "alpha": 0.5},
  "widths": [10, 1000], "trials": 40, "engine": "sampled", "method": "flow", "deltas": [0.05]
}
JSON
cp "$installed" "$work/gfmc"
"$development" run "$work/study.json" --workers 1 --out "$work/development" >/dev/null 2>&1 || fail "development run failed"
# Inside the namespace the toolchain's directory is an empty tmpfs: libswiftCore.so must be gone there (the
# check hides something), and the installed binary must still run.
hidden() { unshare -m sh -c 'mount -t tmpfs -o size=1m none "$1" && shift && exec "$@"' sh "$toolchain" "$@"; }
core=$toolchain/usr/lib/swift/linux/libswiftCore.so
[ -e "$core" ] || fail "no $core to hide"
if hidden test -e "$core"; then fail "$core is still visible in the namespace; the check hides nothing"; fi
version=$(hidden "$work/gfmc" --version) || fail "installed gfmc does not run without the toolchain"
echo "$version" | grep -Eq '^gfmc [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}(-dirty)?\)$' \
    || fail "--version does not print version and commit: $version"
hidden "$work/gfmc" run "$work/study.json" --workers 2 --out "$work/installed" >/dev/null 2>&1 \
    || fail "installed gfmc run failed without the toolchain"
cmp "$work/installed/trials.csv" "$work/development/trials.csv" || fail "trials.csv differs from the development build"
echo "test-deploy-install: PASS ($version runs without $toolchain; trials.csv identical)" >&2
