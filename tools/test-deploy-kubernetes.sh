#!/usr/bin/env bash
# Checks the Kubernetes manifests without a cluster: every document parses; every gfmc container uses the image
# named by deploy/container/Containerfile's ref.name label, runs as non-root with a read-only root file system, no
# capabilities and resource limits; every option in its args is an option of that subcommand in the given
# binary's `gfmc help SUBCOMMAND`; every Secret volume mode lets the non-root user (through fsGroup) read it and
# no one else write it; Jobs use restartPolicy Never/OnFailure (a finished worker does not CrashLoop).
#
#   bash tools/test-deploy-kubernetes.sh GFMC
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
gfmc=${1:?usage: test-deploy-kubernetes.sh GFMC}
python3 - "$repo" "$gfmc" <<'PY'
import glob, re, subprocess, sys
import yaml

repo, gfmc = sys.argv[1], sys.argv[2]
errors = []
containerfile = open(f"{repo}/deploy/container/Containerfile").read()
match = re.search(r'org\.opencontainers\.image\.ref\.name="([^"]+)"', containerfile)
if not match:
    sys.exit("test-deploy-kubernetes: FAIL: no ref.name label in deploy/container/Containerfile")
image = match.group(1)
help_cache = {}

def options_of(command):
    if command not in help_cache:
        result = subprocess.run([gfmc, "help", command], capture_output=True, text=True)
        if result.returncode != 0:
            errors.append(f"gfmc help {command} failed: {result.stderr.strip()}")
            help_cache[command] = set()
        else:
            help_cache[command] = set(re.findall(r"(--[a-z][a-z0-9-]*)", result.stdout))
    return help_cache[command]

manifests = sorted(glob.glob(f"{repo}/deploy/kubernetes/*.yaml"))
if not manifests:
    errors.append("no manifests in deploy/kubernetes")
containers_seen = 0
for path in manifests:
    name = path.rsplit("/", 1)[1]
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        kind = doc.get("kind")
        if kind not in ("Job", "Deployment", "StatefulSet"):
            continue
        pod = doc["spec"]["template"]["spec"]
        where = f"{name} {kind} {doc['metadata']['name']}"
        if kind == "Job" and pod.get("restartPolicy") not in ("Never", "OnFailure"):
            errors.append(f"{where}: Job restartPolicy must be Never or OnFailure")
        if kind == "Deployment":
            errors.append(f"{where}: a Deployment restarts a finished gfmc process forever (CrashLoop); use a Job")
        pod_security = pod.get("securityContext", {})
        if not pod_security.get("runAsNonRoot") or not pod_security.get("runAsUser"):
            errors.append(f"{where}: pod must run as a non-root user")
        for container in pod["containers"]:
            containers_seen += 1
            cwhere = f"{where} container {container['name']}"
            if container.get("image") != image:
                errors.append(f"{cwhere}: image {container.get('image')} is not the Containerfile's {image}")
            security = container.get("securityContext", {})
            if security.get("allowPrivilegeEscalation") is not False or not security.get("readOnlyRootFilesystem") \
                    or security.get("capabilities", {}).get("drop") != ["ALL"]:
                errors.append(f"{cwhere}: needs allowPrivilegeEscalation false, readOnlyRootFilesystem, drop ALL")
            if "limits" not in container.get("resources", {}) or "requests" not in container.get("resources", {}):
                errors.append(f"{cwhere}: needs resource requests and limits")
            args = container.get("args", [])
            if not args:
                errors.append(f"{cwhere}: no args")
                continue
            known = options_of(args[0])
            for arg in args[1:]:
                if arg.startswith("--") and arg.split("=")[0] not in known:
                    errors.append(f"{cwhere}: '{arg}' is not an option of gfmc {args[0]}")
        for volume in pod.get("volumes", []):
            secret = volume.get("secret")
            if secret is None:
                continue
            mode = secret.get("defaultMode", 0o644)
            if mode & 0o040 == 0 and not mode & 0o004:
                errors.append(f"{where} volume {volume['name']}: mode {oct(mode)} is unreadable for the non-root user")
            if mode & 0o022:
                errors.append(f"{where} volume {volume['name']}: mode {oct(mode)} is writable by others")
            if mode & 0o004 and "key" in secret["secretName"] and "pub" not in secret["secretName"]:
                errors.append(f"{where} volume {volume['name']}: a secret key mode {oct(mode)} is world-readable (gfmc refuses it)")
            if not pod_security.get("fsGroup"):
                errors.append(f"{where}: Secret volumes need fsGroup for the non-root user")
if containers_seen == 0:
    errors.append("no gfmc containers found")
if errors:
    print("test-deploy-kubernetes: FAIL:\n  " + "\n  ".join(errors), file=sys.stderr)
    sys.exit(1)
print(f"test-deploy-kubernetes: PASS ({containers_seen} containers, image {image}, options checked against {gfmc})",
      file=sys.stderr)
PY
