#!/usr/bin/env bash
# Every run behind docs/reproduction.md, in order, then every table. Run from the repository root after
# `swift build -c release --product gfmc`. Resumable: trials already in runs/*.jsonl are skipped and `gfmc run`
# resumes its run directory, so a second invocation only reprints the tables. Total CPU time on one core is
# about 25 minutes (the paper's GD in Experiment 3 dominates). Set GFMC to use another binary.
set -euo pipefail
GFMC=${GFMC:-.build/release/gfmc}
R="tools/reproduce/run_trials.py --gfmc $GFMC"
S=tools/reproduce/studies
mkdir -p runs

# Experiment 3 (App. A.3)
$R --study configs/paper-wide.json --widths 500-10000/500 --trials 5 --out runs/wide-gd.jsonl
$R --study $S/wide-flow-paper-stop.json --widths 500-10000/500 --trials 5 --out runs/wide-flow-paper-stop.jsonl
for s in wide-data531 wide-data532 wide-data533 wide-data534 wide-n500 wide-n500-var400; do
  $R --study $S/$s.json --widths 500,2000,9500 --trials 5 --out runs/$s.jsonl
done
$R --study $S/wide-gd-half-step.json --widths 500,10000 --trials 3 --out runs/wide-gd-half-step.jsonl
$R --study $S/wide-gd-quarter-step.json --widths 500,10000 --trials 3 --out runs/wide-gd-quarter-step.jsonl
nice -n 10 "$GFMC" run $S/wide-flow.json --workers 1 --out runs/wide-flow > /dev/null
nice -n 10 "$GFMC" run $S/wide-whitened-flow.json --workers 1 --out runs/wide-whitened > /dev/null

# Experiment 2 (§5.2)
for c in paper-convergence paper-convergence-case2 paper-convergence-case3 paper-convergence-balanced; do
  $R --study configs/$c.json --widths 500 --trials 20 --out runs/$c.jsonl
done
for s in convergence-case2-n500 convergence-balanced-n500; do
  $R --study $S/$s.json --widths 500 --trials 20 --out runs/$s.jsonl
done

# Experiment 1 (§5.1)
nice -n 10 python3 tools/reproduce/exp1_imbalance.py --gfmc "$GFMC" --spectrum-out runs/exp1-spectra.json > runs/exp1.jsonl
nice -n 10 "$GFMC" run configs/paper-imbalance.json --workers 1 --out runs/imbalance > /dev/null

for t in exp3-gd exp3-eta exp3-flow exp3-bound exp3-whitened exp2 exp1 exp1-mc; do
  echo; echo "== tables.py $t"; python3 tools/reproduce/tables.py $t runs
done
