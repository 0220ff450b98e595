#!/usr/bin/env bash
# Builds gfmc in release mode with the Swift standard library and Foundation linked statically and installs
# PREFIX/bin/gfmc (PREFIX defaults to /usr/local). The installed binary needs no Swift toolchain, only the
# Debian runtime libraries named in deploy/README.md:
#   apt-get install libzmq5 libopenblas0 liblapacke libsqlite3-0
#
#   bash tools/install.sh                 # /usr/local/bin/gfmc
#   bash tools/install.sh "$HOME/.local"  # ~/.local/bin/gfmc, no root needed
#
# The build has its own scratch directory (.build/install) so it does not disturb a development build.
# `gfmc --version` prints the version and the commit (from git when this is a clone; "unknown" otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}

if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$d/swift" ] && export PATH="$d:$PATH"
    done
fi
command -v swift >/dev/null 2>&1 || { echo "install.sh: Swift 6 is not installed (no 'swift' on PATH)" >&2; exit 1; }

commit=unknown
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
    commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
    # Uncommitted changes to tracked files make the binary differ from the commit.
    git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
fi
case $commit in *[!0-9a-zA-Z-]*) commit=unknown ;; esac

scratch=.build/install
swift build -c release --scratch-path "$scratch" --static-swift-stdlib -Xcc "-DGFMC_BUILD_COMMIT=$commit" \
    --product gfmc 2>&1 | tail -5
binary="$(swift build -c release --scratch-path "$scratch" --static-swift-stdlib --show-bin-path)/gfmc"
install -d "$prefix/bin"
install -m 0755 "$binary" "$prefix/bin/gfmc"
echo "installed $prefix/bin/gfmc: $("$prefix/bin/gfmc" --version)"
