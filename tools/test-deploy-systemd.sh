#!/usr/bin/env bash
# Checks the shipped systemd files: `systemd-analyze verify` reports nothing for either unit, and
# `systemd-analyze security --offline=true` rates each at most 2.5; the sysusers.d file creates the gfmc user and
# the tmpfiles.d file its directories (both applied to a scratch root, not to this machine).
#
#   bash tools/test-deploy-systemd.sh GFMC     # the binary the units' ExecStart will point at during the check
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
gfmc=$(readlink -f "${1:?usage: test-deploy-systemd.sh GFMC}")
command -v systemd-analyze >/dev/null || { echo "test-deploy-systemd: systemd-analyze missing (package systemd)" >&2; exit 1; }
work=$(mktemp -d /tmp/gfmc-systemd.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "test-deploy-systemd: FAIL: $*" >&2; exit 1; }
threshold=2.5

for unit in gfmc-coordinator.service gfmc-worker@.service; do
    # verify checks that ExecStart exists: point it at the binary under test.
    sed "s|/usr/local/bin/gfmc|$gfmc|" "$repo/deploy/systemd/$unit" > "$work/$unit"
    out=$(cd "$work" && systemd-analyze verify --man=no "./$unit" 2>&1) || fail "verify $unit failed: $out"
    [ -z "$out" ] || fail "verify $unit reports: $out"
    score=$(cd "$work" && systemd-analyze security --offline=true --no-pager "./$unit" 2>&1 \
        | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [ -n "$score" ] || fail "no exposure level for $unit"
    python3 -c "import sys; sys.exit(0 if float('$score') <= $threshold else 1)" || fail "$unit exposure $score > $threshold"
    # Permanent errors must not restart forever; a clean stop (exit 2) is a success.
    grep -q '^SuccessExitStatus=2$' "$work/$unit" || fail "$unit: a clean stop (exit 2) is not success"
    grep -q '^RestartPreventExitStatus=.*64 65' "$work/$unit" || fail "$unit: configuration errors would restart"
    echo "test-deploy-systemd: $unit verify clean, exposure $score" >&2
done
grep -q '^RestartPreventExitStatus=.*75' "$repo/deploy/systemd/gfmc-coordinator.service" || fail "coordinator restarts on a held lock"
grep -q '^Restart=always$' "$repo/deploy/systemd/gfmc-worker@.service" || fail "workers stay down after a coordinator restart (exit 0)"

root=$work/root
mkdir -p "$root/etc"
: > "$root/etc/passwd"; : > "$root/etc/group"; : > "$root/etc/shadow"; : > "$root/etc/gshadow"
if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers --root="$root" "$repo/deploy/systemd/gfmc.sysusers.conf" >/dev/null 2>&1 || fail "sysusers file rejected"
    grep -q '^gfmc:' "$root/etc/passwd" || fail "sysusers did not create the gfmc user"
    if command -v systemd-tmpfiles >/dev/null; then
        systemd-tmpfiles --root="$root" --create "$repo/deploy/systemd/gfmc.tmpfiles.conf" >/dev/null 2>&1 \
            || fail "tmpfiles file rejected"
        [ "$(stat -c %a "$root/etc/gfmc/keys")" = 750 ] || fail "tmpfiles: /etc/gfmc/keys not 0750"
        [ -d "$root/var/lib/gfmc" ] || fail "tmpfiles: no /var/lib/gfmc"
    fi
fi
echo "test-deploy-systemd: PASS" >&2
