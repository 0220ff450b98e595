#!/usr/bin/env bash
# Builds a gfmc runtime image without a registry (a Debian root file system from mmdebstrap with the runtime
# packages of deploy/README.md, `podman import`, then the installed binary and a non-root user on top, as
# deploy/container/Containerfile's runtime stage does) and runs a containerized coordinator and two
# containerized workers over CURVE. Passes when trials.csv is byte-identical to `gfmc run --workers 1`.
#
#   bash tools/test-deploy-container.sh INSTALLED_GFMC
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
gfmc=$(readlink -f "${1:?usage: test-deploy-container.sh INSTALLED_GFMC}")
for tool in podman mmdebstrap runc; do
    command -v "$tool" >/dev/null || { echo "test-deploy-container: $tool missing (tools/install-deps.sh installs podman runc mmdebstrap)" >&2; exit 1; }
done
tag=$$-$RANDOM
base=localhost/gfmc-test-base:$tag
image=localhost/gfmc-test:$tag
work=$(mktemp -d /tmp/gfmc-container.XXXXXX)
chmod 0755 "$work"
pod=(podman --runtime runc --cgroup-manager cgroupfs)
run=("${pod[@]}" run --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
names=()
cleanup() {
    set +e
    for n in "${names[@]}"; do "${pod[@]}" rm -f -t 2 "$n" >/dev/null 2>&1; done
    "${pod[@]}" rmi -f "$image" "$base" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test-deploy-container: FAIL: $*" >&2; for n in "${names[@]}"; do "${pod[@]}" logs "$n" 2>&1 | tail -n 15 >&2; done; exit 1; }
deadline=$((SECONDS + 240))

packages=$(sed -n 's/^apt-get install -y --no-install-recommends \(.*\)$/\1/p' "$repo/deploy/README.md" | head -n 1)
[ -n "$packages" ] || fail "deploy/README.md names no runtime packages (apt-get install -y --no-install-recommends ...)"
mmdebstrap --quiet --variant=minbase --include="${packages// /,}" bookworm "$work/rootfs.tar" >/dev/null 2>&1 \
    || fail "mmdebstrap failed"
"${pod[@]}" import "$work/rootfs.tar" "$base" >/dev/null 2>&1 || fail "podman import failed"
mkdir "$work/context"
cp "$gfmc" "$work/context/gfmc"
cat > "$work/context/Containerfile" <<CF
FROM $base
RUN groupadd --system --gid 10001 gfmc && useradd --system --uid 10001 --gid gfmc --home-dir /var/lib/gfmc --create-home gfmc
COPY gfmc /usr/local/bin/gfmc
ENV OPENBLAS_NUM_THREADS=1
USER 10001:10001
WORKDIR /var/lib/gfmc
ENTRYPOINT ["gfmc"]
CF
"${pod[@]}" build --quiet -t "$image" "$work/context" >/dev/null || fail "podman build failed"

cat > "$work/study.json" <<'JSON'
{
  "name": "container-test", "seed": 5,
  "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10, "output_dim": 1, "noise": 0.01, "data_seed": 3},
  "init": {"kind": "width_scaled", "alpha": 0.5},
  "widths": [10, 1000, 100000], "trials": 60, "engine": "sampled", "method": "flow", "deltas": [0.05]
}
JSON
"$gfmc" run "$work/study.json" --workers 1 --out "$work/reference" >/dev/null 2>&1 || fail "reference run failed"

# Keys as an operator makes them; the secret keys belong to the container user (uid 10001), mode 0600.
mkdir -p "$work/keys/workers" "$work/run"
"$gfmc" keygen --out "$work/keys/coordinator" >/dev/null
"$gfmc" keygen --out "$work/keys/worker" >/dev/null
cp "$work/keys/worker.pub" "$work/keys/workers/"
chown -R 10001:10001 "$work/keys" "$work/run"
port=$((30000 + RANDOM % 20000))
names+=(gfmc-coord-$tag)
"${run[@]}" -d --name "gfmc-coord-$tag" -v "$work/keys:/keys:ro" -v "$work/run:/run-dir" -v "$work/study.json:/study.json:ro" \
    "$image" coordinator /study.json --bind "tcp://127.0.0.1:$port" --out /run-dir \
    --curve-secret-key /keys/coordinator.key --authorized-keys /keys/workers >/dev/null || fail "coordinator container did not start"
for i in 1 2; do
    names+=(gfmc-worker$i-$tag)
    "${run[@]}" -d --name "gfmc-worker$i-$tag" -v "$work/keys:/keys:ro" "$image" worker --connect "tcp://127.0.0.1:$port" \
        --curve-server-key /keys/coordinator.pub --curve-secret-key /keys/worker.key >/dev/null || fail "worker container $i did not start"
done
while "${pod[@]}" container exists "gfmc-coord-$tag" && [ "$("${pod[@]}" inspect -f '{{.State.Running}}' "gfmc-coord-$tag" 2>/dev/null)" = true ]; do
    [ $SECONDS -lt $deadline ] || fail "the containerized study did not finish in time"
    sleep 0.5
done
status=$("${pod[@]}" inspect -f '{{.State.ExitCode}}' "gfmc-coord-$tag")
[ "$status" = 0 ] || fail "the containerized coordinator exited $status"
[ -f "$work/run/trials.csv" ] || fail "no trials.csv from the containerized coordinator"
cmp "$work/run/trials.csv" "$work/reference/trials.csv" || fail "trials.csv differs from gfmc run --workers 1"
echo "test-deploy-container: PASS (image from Debian packages + installed binary, non-root, CURVE; $SECONDS s)" >&2
