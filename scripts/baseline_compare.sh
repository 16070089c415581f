#!/usr/bin/env bash
# The paper's Fig. 10 comparison: every RASP task and induction at |V| = N = 8 and 16,
# Transformer Program (`--preset paper`, k = N) against the standard Transformer baseline
# (`--preset standard`), several seeds each; then the table (scripts/baseline_table.py).
#
#   scripts/baseline_compare.sh [ROOT]          # full settings (hours on 2 cores)
#   TINY=1 scripts/baseline_compare.sh [ROOT]   # smoke test: tiny presets, 600 examples, 2 seeds
#
# Environment: SEEDS (default 0..4; TINY: 0..1), SIZES (default "8 16"), TASKS (default all),
# TPROG (default: cargo run --release -p tprog --). Runs land in ROOT/<size>/<task>/<model>/seed<s>.
# |V| = N = 8 uses the built-in generators with the paper's parameters; 16 generates a data file
# with `tprog data` (vocabulary 16 and length 1..16; dyck at length 32; induction at 16) and
# trains on it.
set -euo pipefail

ROOT=${1:-runs/baseline-compare}
TINY=${TINY:-0}
SIZES=${SIZES:-"8 16"}
TASKS=${TASKS:-"reverse hist double_hist sort most_freq dyck1 dyck2 induction"}
TPROG=${TPROG:-"cargo run --quiet --release -p tprog --"}
if [[ $TINY == 1 ]]; then
  SEEDS=${SEEDS:-0..1}
  PROGRAM=(--preset tiny)
  STANDARD=(--preset tiny --model standard)
  SIZE_FLAGS=(--size 600)
else
  SEEDS=${SEEDS:-0..4}
  PROGRAM=(--preset paper)
  STANDARD=(--preset standard)
  SIZE_FLAGS=()
fi

causal() { [[ $1 == dyck1 || $1 == dyck2 || $1 == induction ]]; }

# Generator flags of the |V| = N = 16 setting for a task.
flags16() {
  case $1 in
    dyck1 | dyck2) echo "--min-length 32 --max-length 32" ;;
    induction) echo "--vocab-size 16 --min-length 16 --max-length 16" ;;
    *) echo "--vocab-size 16 --min-length 1 --max-length 16" ;;
  esac
}

for size in $SIZES; do
  for task in $TASKS; do
    dir=$ROOT/$size/$task
    mkdir -p "$dir"
    if [[ $size == 8 ]]; then
      data=(--task "$task")
      [[ $TINY == 1 ]] && data+=(--dataset-size 600)
    else
      file=$dir/data.jsonl
      # shellcheck disable=SC2046
      $TPROG data --task "$task" $(flags16 "$task") "${SIZE_FLAGS[@]}" --show 0 \
        --out "$file" --force > /dev/null
      data=(--data "$file")
      causal "$task" && data+=(--causal)
    fi
    for model in program standard; do
      if [[ $model == program ]]; then settings=("${PROGRAM[@]}"); else settings=("${STANDARD[@]}"); fi
      echo "== |V| = N = $size, $task, $model" >&2
      $TPROG train "${data[@]}" "${settings[@]}" --seeds "$SEEDS" --out "$dir/$model" \
        --overwrite --quiet
    done
  done
done
python3 "$(dirname "$0")/baseline_table.py" "$ROOT"
