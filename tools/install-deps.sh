#!/usr/bin/env bash
# Installs the Debian packages gfmc builds and tests against, only where missing. Needs root (or sudo).
# Swift 6 itself is not a Debian package: it must already be on PATH (swift.org toolchain).
set -euo pipefail

packages=(libzmq3-dev libopenblas-dev liblapacke-dev libsqlite3-dev zlib1g-dev pkg-config)
if [ "${GFMC_WITH_TEST_TOOLS:-0}" = 1 ]; then
    # Multi-host tests (network namespaces) and deployment checks.
    packages+=(iproute2 procps iptables)
    # Deployment checks: a one-node Slurm, systemd-analyze, manifest parsing.
    packages+=(slurm-wlm munge systemd python3-yaml podman runc mmdebstrap)
    # Some loader tests write .npy files with NumPy; the hostile-input test runs a Python client.
    python3 -c 'import numpy' >/dev/null 2>&1 || packages+=(python3 python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "gfmc: installing ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$d/swift" ] && export PATH="$d:$PATH"
    done
fi
command -v swift >/dev/null 2>&1 || {
    echo "gfmc: Swift 6 is not installed (no 'swift' on PATH); install the swift.org toolchain first" >&2
    exit 1
}
