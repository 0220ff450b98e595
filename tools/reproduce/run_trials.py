#!/usr/bin/env python3
"""Run trials of a study one by one with `gfmc trial --study` and append their JSON to a JSON-lines file.

Stand-in for `gfmc run` while the coordinator is not wired in (and the tool behind every table of
docs/reproduction.md that needs only a few trials). Every trial is a pure function of (study, width, index),
so re-running is harmless: trials already in the output file are skipped (resume by running the same command).

    tools/reproduce/run_trials.py --study configs/paper-wide.json --widths 500,1000 --trials 5 \
        --out runs/wide-gd.jsonl [--jobs 1] [--gfmc .build/release/gfmc]

--widths: comma list; an item a-b/s is the arithmetic range a, a+s, ..., b.  --trials K runs indices 0..K-1;
--first F starts at index F.  Processes run under `nice -n 10`.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys


def parse_widths(text):
    widths = []
    for item in text.split(","):
        if "-" in item:
            span, step = item.split("/")
            a, b = span.split("-")
            widths.extend(range(int(a), int(b) + 1, int(step)))
        else:
            widths.append(int(item))
    return widths


def done_ids(path):
    ids = set()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    record = json.loads(line)
                    ids.add((record["id"]["width"], record["id"]["index"]))
    return ids


def run_one(gfmc, study, width, index):
    out = subprocess.run(["nice", "-n", "10", gfmc, "trial", "--study", study, "--width", str(width),
                          "--index", str(index)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"h={width} i={index}: exit {out.returncode}: {out.stderr.strip()}")
    return json.dumps(json.loads(out.stdout), sort_keys=True, separators=(",", ":"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", required=True)
    p.add_argument("--widths", required=True)
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--gfmc", default=".build/release/gfmc")
    a = p.parse_args()
    done = done_ids(a.out)
    todo = [(w, i) for w in parse_widths(a.widths) for i in range(a.first, a.first + a.trials) if (w, i) not in done]
    print(f"{len(todo)} trials to run ({len(done)} already in {a.out})", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "a") as f, concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futures = [pool.submit(run_one, a.gfmc, a.study, w, i) for (w, i) in todo]
        for k, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            f.write(fut.result() + "\n")
            f.flush()
            if k % 50 == 0 or k == len(todo):
                print(f"{k}/{len(todo)}", file=sys.stderr)


if __name__ == "__main__":
    main()
