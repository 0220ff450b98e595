#!/usr/bin/env bash
# Runs a small study through deploy/slurm/gfmc.sbatch on a real one-node Slurm cluster (slurm-wlm + munge, started
# here as root in a temporary directory), with one preemption warning (`scancel --batch --signal=USR1`) sent once
# the coordinator reports some but not all trials done. Passes when the chain of jobs completes the study by
# itself, no job ends FAILED, and trials.csv is byte-identical to `gfmc run --workers 1`.
#
#   bash tools/test-deploy-slurm.sh BINDIR     # BINDIR holds the gfmc to test (put on PATH as a user would)
#
# Bounded (about 3 minutes at most); the daemons and jobs are torn down on every exit path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(cd "${1:?usage: test-deploy-slurm.sh BINDIR}" && pwd)
[ -x "$bindir/gfmc" ] || { echo "test-deploy-slurm: no gfmc in $bindir" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test-deploy-slurm: needs root (starts slurmctld, slurmd, munged)" >&2; exit 1; }
for tool in slurmctld slurmd munged mungekey sbatch scancel squeue scontrol python3; do
    command -v "$tool" >/dev/null || { echo "test-deploy-slurm: $tool missing (tools/install-deps.sh installs slurm-wlm munge)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/gfmc-slurm.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
    set +e
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
        for job in $(squeue -h -o %i 2>/dev/null); do scancel "$job" 2>/dev/null; done
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    # Any gfmc left by a job of this test (matched by this test's run directory only).
    for pid in $(pgrep -f "$work/" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    if [ "${keep:-${GFMC_TEST_KEEP:-0}}" = 1 ]; then echo "test-deploy-slurm: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "test-deploy-slurm: FAIL: $*" >&2; keep=1; for f in "$work"/submit/*.out; do [ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; } >&2; done; exit 1; }
deadline=$((SECONDS + 180))

# munge with its own key and socket.
mkdir -p "$work/munge" "$work/slurm/state" "$work/slurm/spool" "$work/submit"
chmod 0755 "$work/munge"
mungekey -c -k "$work/munge/munge.key" >/dev/null 2>&1
chmod 0600 "$work/munge/munge.key"
munged -F --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
    --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" -f >"$work/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.socket" ] || fail "munged did not start"

host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
cat > "$work/slurm/slurm.conf" <<EOF
ClusterName=gfmctest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_min_interval=100000,batch_sched_delay=0
MailProg=/bin/true
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
SlurmctldPort=$port
SlurmdPort=$((port + 1))
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurm/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$work/slurm/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 0.2; done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || fail "the Slurm node did not come up: $(sinfo 2>&1 | tail -n 2)"

# The study: small trials, enough of them that the preemption lands mid-study.
study=$work/study.json
cat > "$study" <<'EOF'
{
  "name": "slurm-test", "seed": 11,
  "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10, "output_dim": 1, "noise": 0.01, "data_seed": 5},
  "init": {"kind": "width_scaled", "alpha": 0.5},
  "widths": [20, 200, 2000, 20000], "trials": 600, "engine": "sampled", "method": "flow", "deltas": [0.05]
}
EOF
total=2400
export PATH="$bindir:$PATH"
gfmc run "$study" --workers 1 --out "$work/reference" >/dev/null 2>&1 || fail "reference run failed"

# Submit as a user would, from a submit directory; the run directory is on local disk.
rundir=$work/run
cd "$work/submit"
first=$(sbatch --parsable --ntasks=2 --time=10 "$repo/deploy/slurm/gfmc.sbatch" "$study" "$rundir") || fail "sbatch failed"
echo "test-deploy-slurm: submitted job $first" >&2

done_trials() { gfmc status "$rundir" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["done"])' 2>/dev/null || echo 0; }
# The preemption warning, on observed progress.
while :; do
    [ $SECONDS -lt $deadline ] || fail "no progress to preempt on (done=$(done_trials))"
    n=$(done_trials)
    [ "$n" -lt "$total" ] || fail "the study finished before the preemption could be sent; make it larger"
    [ "$n" -ge 200 ] && break
    sleep 0.2
done
echo "test-deploy-slurm: $n of $total trials done; sending USR1 to the batch shell of job $first" >&2
scancel --batch --signal=USR1 "$first"

# The run continues in a new job by itself; wait until no job of the chain is left.
while [ -n "$(squeue -h -o %i)" ]; do
    [ $SECONDS -lt $deadline ] || fail "jobs still queued at the deadline: $(squeue 2>&1)"
    sleep 0.5
done

jobs=$(scontrol show job -o 2>/dev/null | grep -o 'JobId=[0-9]*' | cut -d= -f2 | sort -n)
count=$(echo "$jobs" | wc -w)
[ "$count" -ge 2 ] || fail "expected the preempted job and its continuation, saw jobs: $jobs"
for job in $jobs; do
    state=$(scontrol show job -o "$job" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    code=$(scontrol show job -o "$job" | grep -o ' ExitCode=[0-9:]*' | cut -d= -f2)
    echo "test-deploy-slurm: job $job $state exit $code" >&2
    [ "$state" = COMPLETED ] || fail "job $job ended $state (exit $code)"
done
grep -q "preempted: stored trials are kept" "$work/submit/gfmc-gfmc-$first.out" || fail "job $first did not hand over"
[ -f "$rundir/trials.csv" ] || fail "no trials.csv in $rundir"
cmp "$rundir/trials.csv" "$work/reference/trials.csv" || fail "trials.csv differs from gfmc run --workers 1"
[ "$(stat -c %a "$rundir/keys/coordinator.key")" = 600 ] || fail "coordinator.key is not mode 0600"
echo "test-deploy-slurm: PASS ($count jobs, trials.csv identical to gfmc run --workers 1, $((SECONDS)) s)" >&2
