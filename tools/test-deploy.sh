#!/usr/bin/env bash
# The deployment checks, run by tools/test.sh after the Swift tests (about 6 minutes idle: 3 for the
# static-stdlib build of tools/install.sh, 1 for Slurm, 2 for the container image):
#   1. tools/install.sh into a scratch prefix; the installed binary runs with the Swift toolchain hidden and writes
#      the same trials.csv as the development build (tools/test-deploy-install.sh);
#   2. deploy/slurm/gfmc.sbatch on a real one-node Slurm with a preemption mid-study (tools/test-deploy-slurm.sh);
#   3. the systemd units: verify and exposure (tools/test-deploy-systemd.sh);
#   4. the Kubernetes manifests against the binary's options and the Containerfile's image (tools/test-deploy-kubernetes.sh);
#   5. a runtime image from Debian packages and the installed binary, coordinator and workers in containers over
#      CURVE (tools/test-deploy-container.sh, about 100 s, most of it mmdebstrap).
#
#   bash tools/test-deploy.sh DEVELOPMENT_GFMC
set -euo pipefail
cd "$(dirname "$0")/.."
development=$(readlink -f "${1:?usage: test-deploy.sh DEVELOPMENT_GFMC}")
prefix=$(mktemp -d /tmp/gfmc-prefix.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
bash tools/install.sh "$prefix"
bash tools/test-deploy-install.sh "$prefix/bin/gfmc" "$development"
bash tools/test-deploy-slurm.sh "$prefix/bin"
bash tools/test-deploy-systemd.sh "$prefix/bin/gfmc"
bash tools/test-deploy-kubernetes.sh "$prefix/bin/gfmc"
bash tools/test-deploy-container.sh "$prefix/bin/gfmc"
