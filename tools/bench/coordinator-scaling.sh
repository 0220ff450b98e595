#!/bin/sh
# Coordinator start-up time and memory for a study of 20 widths × PER_WIDTH trials (the sampled engine on
# tiny Gaussian data, so the trials themselves are cheap).
#
#   tools/bench/coordinator-scaling.sh GFMC_BINARY PER_WIDTH [RUN_SECONDS]
#
# Starts `gfmc coordinator` on a fresh run directory and reports:
#   listen_s   seconds from the start until DIR/coordinator.endpoint exists (the study is planned, the store
#              opened and the socket bound; polled every 10 ms);
#   status_s   seconds until the first status.json;
#   hwm_kb     the coordinator's peak RSS (VmHWM, kB) at that moment.
# With RUN_SECONDS > 0, one `gfmc worker --slots 1` connects as soon as the endpoint exists and the study runs for
# RUN_SECONDS; it also reports first_task_s (first status.json showing a task issued; status.json is written
# every second, so ±1 s), the peak RSS after the run, trials done, tasks issued and trials per task.
# The coordinator is then stopped with SIGINT (it writes a partial report) and the directory removed.
set -eu
B=$1; n=$2; run=${3:-0}
dir=$(mktemp -d /tmp/coordinator-scaling.XXXXXX)
cat > "$dir/study.json" <<J
{"name": "coordinator-scaling-$n", "seed": 53,
 "data": {"recipe": "gaussian", "samples": 10, "input_dim": 4, "output_dim": 1, "noise": 0.01},
 "widths": {"from": 500, "to": 10000, "count": 20, "spacing": "linear"},
 "trials": $n, "engine": "sampled", "method": "flow", "deltas": [0.01]}
J
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }
start=$(now)
"$B" coordinator "$dir/study.json" --bind tcp://127.0.0.1:0 --out "$dir/run" > "$dir/coordinator.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$dir/run/coordinator.endpoint" ] && [ $i -lt 30000 ]; do sleep 0.01; i=$((i + 1)); done
listen=$(elapsed "$start")
worker=
if [ "$run" -gt 0 ]; then
    "$B" worker --connect "$(cat "$dir/run/coordinator.endpoint" | sed 's/0.0.0.0/127.0.0.1/')" --slots 1 \
        > "$dir/worker.log" 2>&1 &
    worker=$!
fi
while [ ! -s "$dir/run/status.json" ]; do sleep 0.01; done
status=$(elapsed "$start")
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "per_width=$n trials=$((20 * n)) listen_s=$listen status_s=$status hwm_kb=$hwm"
if [ "$run" -gt 0 ]; then
    first=
    while [ -z "$first" ]; do
        if grep -Eq '"tasksIssued" *: *[1-9]' "$dir/run/status.json" 2>/dev/null; then first=$(elapsed "$start"); fi
        sleep 0.05
    done
    field() { grep -Eo "\"$1\" *: *[0-9.]+" "$dir/run/status.json" | grep -Eo '[0-9.]+$'; }
    half=$((run / 2))
    sleep "$half"
    t1=$(field elapsedSeconds); d1=$(field done); k1=$(field tasksIssued)
    sleep $((run - half))
    t2=$(field elapsedSeconds); d2=$(field done); k2=$(field tasksIssued)
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    # One single-slot worker that always holds a queued task: seconds per task = elapsed / tasks issued.
    echo "first_task_s=$first after_${run}s: hwm_kb=$hwm rss_kb=$rss done=$d2 tasks_issued=$k2;" \
         "second half: trials_per_task=$(echo "($d2 - $d1) / ($k2 - $k1)" | bc -l | xargs printf '%.1f')" \
         "seconds_per_task=$(echo "($t2 - $t1) / ($k2 - $k1)" | bc -l | xargs printf '%.2f')"
fi
kill -INT $pid
wait $pid || true
[ -n "$worker" ] && { wait "$worker" || true; }
rm -rf "$dir"
