#!/usr/bin/env bash
# The paper's NLP experiments (Tables 2 and 6) on the real data sets: the count baselines, the
# Transformer Program (conll.sh / classification.sh, GloVe-initialised) and the standard
# Transformer (conll_standard.sh / classification_standard.sh), SEEDS seeds each.
# Restartable: finished runs are skipped, interrupted ones resumed (scripts/paper_runs.sh).
# Results: results/nlp/ (summaries, baselines), then scripts/nlp_table.py > docs/results-nlp.md.
#
# Usage: scripts/nlp_runs.sh DATA_DIR [SEEDS] [TASK ...]
#   DATA_DIR  holds conll2003/, trec/, mr/, subj/senteval/, ag_news/ and
#             glove/glove.6B.50d.nlp-subset.txt.gz (see docs/nlp.md)
#   SEEDS     e.g. "0 1 2" (default)
#   TASK      conll_ner trec mr subj (default; ag_news has no training file here)
# Environment: TPROG_BIN, TPROG_THREADS as for scripts/paper_runs.sh; NLP_MODELS: "program
#   standard" (default) or one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=$(realpath "${1:?usage: scripts/nlp_runs.sh DATA_DIR [SEEDS] [TASK ...]}")
seeds=${2:-"0 1 2"}
shift $(( $# > 2 ? 2 : $# )) || true
tasks=("$@")
if [ ${#tasks[@]} -eq 0 ]; then
    tasks=(trec mr subj conll_ner)
fi
if [ -z "${TPROG_BIN:-}" ]; then
    cargo build --release -p tprog
    export TPROG_BIN=target/release/tprog
fi
glove="$data_dir/glove/glove.6B.50d.nlp-subset.txt.gz"
mkdir -p results/nlp/baselines
for task in "${tasks[@]}"; do
    out="results/nlp/baselines/$task.json"
    [ -f "$out" ] || "$TPROG_BIN" baseline --task "$task" --data-dir "$data_dir" --json > "$out"
done
for model in ${NLP_MODELS:-program standard}; do
    if [ "$model" = program ]; then
        TPROG_TAG=nlp TPROG_EXTRA="--data-dir $data_dir --glove $glove" \
            scripts/paper_runs.sh paper "$seeds" "${tasks[@]}"
    else
        TPROG_TAG=nlp-standard TPROG_EXTRA="--data-dir $data_dir" \
            scripts/paper_runs.sh standard "$seeds" "${tasks[@]}"
    fi
done
