#!/usr/bin/env bash
# The paper's accuracy runs: every task with its preset, seeds 0..4, one after another.
# Restartable: finished runs (summary.json present) are skipped, interrupted ones resumed.
# Results: scripts/results_table.py results/paper > docs/results-paper.md
#
# Seeds are the outer loop: every task gets seed 0 before any task gets seed 1.
#
# Usage: scripts/paper_runs.sh [PRESET] [SEEDS] [TASK ...]
#   PRESET  paper (default) or categorical
#   SEEDS   e.g. "0 1 2 3 4" (default)
# Environment: TPROG_BIN (a prebuilt binary; default: build target/release/tprog),
#   TPROG_THREADS (threads per run; default: all cores),
#   TPROG_TAG (names runs/<tag> and results/<tag>; default: the preset),
#   TPROG_EXTRA (more `tprog train` flags for new runs, e.g. "--bos-default soft").
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-paper}
seeds=${2:-"0 1 2 3 4"}
shift $(( $# > 2 ? 2 : $# )) || true
tasks=("$@")
if [ ${#tasks[@]} -eq 0 ]; then
    tasks=(reverse hist double_hist sort most_freq dyck1 dyck2 induction)
fi
if [ -n "${TPROG_BIN:-}" ]; then
    bin=$TPROG_BIN
else
    cargo build --release -p tprog
    bin=target/release/tprog
fi
tag=${TPROG_TAG:-$preset}
read -r -a extra <<< "${TPROG_EXTRA:-}"
threads=()
if [ -n "${TPROG_THREADS:-}" ]; then
    threads=(--threads "$TPROG_THREADS")
fi
# Finished runs are copied (summary.json, report.md) to results/ (committed), since runs/ is not.
# A run whose program stage failed has a summary with "program_error": not archived, so that a
# rerun retries it (`tprog train --resume` redoes only the program stage).
finished() {
    [ -f "$1/summary.json" ] && ! grep -q '"interrupted": *true\|"program_error"' "$1/summary.json"
}
archive_run() {
    if finished "$1"; then
        mkdir -p "$2"
        cp "$1/summary.json" "$1/report.md" "$2/"
    fi
}
failed=()
for seed in $seeds; do
    for task in "${tasks[@]}"; do
        dir="runs/$tag/$task/seed$seed"
        archive="results/$tag/$task/seed$seed"
        if [ -f "$archive/summary.json" ]; then
            echo "== $dir done (archived in $archive)"
            continue
        fi
        # A run stopped by Ctrl-C writes its summary too, marked "interrupted": resume it.
        if finished "$dir"; then
            echo "== $dir done"
            archive_run "$dir" "$archive"
            continue
        fi
        # A failed run is reported and skipped, so that one error does not stop the batch.
        if [ -f "$dir/state.json" ]; then
            echo "== $dir resuming"
            "$bin" train --resume "$dir" --quiet "${threads[@]}" || failed+=("$dir")
        else
            echo "== $dir"
            "$bin" train --task "$task" --preset "$preset" --seed "$seed" --out "$dir" --overwrite \
                --quiet "${threads[@]}" "${extra[@]}" || failed+=("$dir")
        fi
        archive_run "$dir" "$archive"
    done
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "== failed (rerun this script to retry them): ${failed[*]}" >&2
    exit 1
fi
