#!/usr/bin/env bash
# The paper's NLP experiments (Tables 2 and 6) on the real data sets: the count baselines
# (results/nlp/baselines/*.json), then the sweeps sweeps/nlp-paper.toml (Transformer Programs)
# and sweeps/nlp-standard.toml (standard Transformers), archived in results/nlp and
# results/nlp-standard; then scripts/nlp_table.py > docs/results-nlp.md.
# Restartable: the sweeps skip finished runs and resume interrupted ones.
#
# Usage: scripts/nlp_runs.sh DATA_DIR [SWEEP ...]
#   DATA_DIR  holds conll2003/, trec/, mr/, subj/, ag_news/ and glove/ (docs/nlp.md); it is
#             linked as `data` in the repository root (ignored by git), which the sweeps read
#   SWEEP     default: sweeps/nlp-paper.toml sweeps/nlp-standard.toml
# Environment: TPROG_BIN (a prebuilt binary; default: build target/release/tprog),
#   TPROG_JOBS (runs at a time, default 1), TPROG_THREADS (threads per run).
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=$(realpath "${1:?usage: scripts/nlp_runs.sh DATA_DIR [SWEEP ...]}")
shift
sweeps=("$@")
if [ ${#sweeps[@]} -eq 0 ]; then
    sweeps=(sweeps/nlp-paper.toml sweeps/nlp-standard.toml)
fi
if [ -z "${TPROG_BIN:-}" ]; then
    cargo build --release -p tprog
    TPROG_BIN=target/release/tprog
fi
if [ -L data ]; then
    [ "$(realpath data)" = "$data_dir" ] || { echo "error: ./data links elsewhere" >&2; exit 1; }
elif [ -e data ]; then
    echo "error: ./data exists and is not a link to $data_dir" >&2
    exit 1
else
    ln -s "$data_dir" data
fi
mkdir -p results/nlp/baselines
for task in conll_ner trec mr subj; do
    out="results/nlp/baselines/$task.json"
    [ -f "$out" ] || "$TPROG_BIN" baseline --task "$task" --data-dir "$data_dir" --json > "$out"
done
threads=()
if [ -n "${TPROG_THREADS:-}" ]; then
    threads=(--threads "$TPROG_THREADS")
fi
for sweep in "${sweeps[@]}"; do
    name=$(basename "$sweep" .toml)
    "$TPROG_BIN" sweep run "$sweep" --backend local --jobs "${TPROG_JOBS:-1}" "${threads[@]}" \
        --out "runs/$name"
done
