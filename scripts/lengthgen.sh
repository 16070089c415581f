#!/usr/bin/env bash
# Length generalisation (issue 12), which the reference never measures: both models train on
# short examples and are tested on longer ones. For each RASP task one data file holds
#   train and validation: the paper's setting (vocabulary 8, lengths 1..8: `tprog data` with the
#                         reference's --max_length 8, which counts BOS and EOS)
#   test:                 2,000 longer examples (--min-length 7 --max-length 16: every one is
#                         longer than any training example)
# and both models train on it (`--preset paper` and `--preset standard`), one run per seed,
# with a context of 16 (`--n-ctx 16`): positions past the training lines' keep their initial
# parameters (the one-hot position values' predicate rows and table entries, the standard
# Transformer's position vectors).
# The output vocabulary holds every split's labels (`--all-labels`): counting tasks (hist,
# double_hist, most_freq) have larger counts in the longer test lines than any training line
# has; the model can output those classes but no training line teaches them, so those
# positions are counted wrong unless the model happens to predict an untrained class.
# results/lengthgen/data/<task>.json counts the test positions whose label no training line
# has (a larger count in a longer line). Finished runs' summary.json, report.md and curves.svg
# are archived in results/lengthgen/<model>/<task>/seed<s>/; archived runs are skipped,
# interrupted ones resumed.
# Then: scripts/baseline_table.py > docs/results-baseline.md
#
# Usage: scripts/lengthgen.sh [SEEDS]      (default "0"; e.g. "0 1 2")
# Environment: TPROG_BIN (default: build target/release/tprog), TPROG_THREADS (threads per
#   run), TASKS (default: reverse hist double_hist sort most_freq).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-0}
tasks=${TASKS:-"reverse hist double_hist sort most_freq"}
if [ -z "${TPROG_BIN:-}" ]; then
    cargo build --release -p tprog
    TPROG_BIN=target/release/tprog
fi
threads=()
if [ -n "${TPROG_THREADS:-}" ]; then
    threads=(--threads "$TPROG_THREADS")
fi
mkdir -p runs/lengthgen/data
for task in $tasks; do
    file=runs/lengthgen/data/$task.jsonl
    if [ ! -f "$file" ]; then
        "$TPROG_BIN" data --task "$task" --vocab-size 8 --min-length 1 --max-length 8 \
            --out "$file.short" --force > /dev/null
        "$TPROG_BIN" data --task "$task" --vocab-size 8 --min-length 7 --max-length 16 \
            --size 2000 --out "$file.long" --force > /dev/null
        # Short examples keep their train/val split (their test split is dropped); every long
        # example is a test example.
        python3 - "$file" <<'EOF'
import json, sys
out = sys.argv[1]
with open(out + ".tmp", "w") as w:
    for line in open(out + ".short"):
        row = json.loads(line)
        if row["split"] != "test":
            w.write(json.dumps(row) + "\n")
    for line in open(out + ".long"):
        row = json.loads(line)
        row["split"] = "test"
        w.write(json.dumps(row) + "\n")
EOF
        mv "$file.tmp" "$file"
        rm -f "$file.short" "$file.long"
    fi
    # What the test lines ask that training never shows: scored positions (label not `<pad>`)
    # whose label no training line has. No model is taught those classes.
    mkdir -p results/lengthgen/data
    python3 - "$file" "results/lengthgen/data/$task.json" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
seen = {label for row in rows if row["split"] == "train" for label in row["labels"]}
scored = [label for row in rows if row["split"] == "test" for label in row["labels"] if label != "<pad>"]
stats = {
    "lines": {split: sum(row["split"] == split for row in rows) for split in ("train", "val", "test")},
    "test_positions": len(scored),
    "test_positions_unseen_label": sum(label not in seen for label in scored),
    "unseen_labels": sorted({label for label in scored if label not in seen}),
}
with open(sys.argv[2], "w") as out:
    json.dump(stats, out, indent=1)
    out.write("\n")
EOF
    for seed in $seeds; do
        for model in program standard; do
            preset=paper
            [ "$model" = standard ] && preset=standard
            archive=results/lengthgen/$model/$task/seed$seed
            run=runs/lengthgen/$model/$task/seed$seed
            [ -f "$archive/summary.json" ] && continue
            if [ -f "$run/summary.json" ]; then
                :
            elif [ -f "$run/config.json" ]; then
                "$TPROG_BIN" train --resume "$run" --quiet "${threads[@]}"
            else
                "$TPROG_BIN" train --data "$file" --n-ctx 16 --all-labels --preset "$preset" --seed "$seed" \
                    --out "$run" --overwrite --quiet "${threads[@]}"
            fi
            mkdir -p "$archive"
            for f in summary.json report.md curves.svg; do
                [ -f "$run/$f" ] && cp "$run/$f" "$archive/"
            done
            echo "$task $model seed $seed: archived in $archive"
        done
    done
done
