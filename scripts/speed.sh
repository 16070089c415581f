#!/usr/bin/env bash
# End-to-end training speed in the configurations the reference was timed in (issues 3 and 13):
# the paper config (3 layers, 4+4 heads, 2+2 MLPs) on reverse, hist and most_freq at length 8,
# dyck1 at length 16, the README's sort command, and the paper's NLP models on CoNLL-2003 and
# TREC (--preset paper: conll.sh and classification.sh, GloVe-initialised). Prints the median
# seconds per epoch (training steps plus the per-epoch evaluation of the discrete model on val)
# and the wall time (which includes decompiling and verifying the program).
#
# Usage: scripts/speed.sh [EPOCHS] [CONFIG ...]   (default: 20 epochs, every synthetic config)
#   EPOCHS  epochs per run (use 250 for whole runs)
#   CONFIG  reverse hist most_freq dyck1 readme_sort conll trec
# Environment: TPROG_BIN (a prebuilt binary; default: build target/release/tprog),
#   TPROG_THREADS (default 2, as the reference was measured), TPROG_NLP_DATA (for conll and
#   trec: the directory holding conll2003/, trec/ and glove/glove.6B.50d.nlp-subset.txt.gz).
#   Run it on a quiet machine. The step alone, on random tokens of the NLP shapes:
#   cargo bench -p tprog-model --bench step -- conll_paper (or classify_paper).
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-20}
shift $(( $# > 0 ? 1 : 0 ))
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
    configs=(reverse hist most_freq dyck1 readme_sort)
fi
if [ -n "${TPROG_BIN:-}" ]; then
    bin=$TPROG_BIN
else
    cargo build --release -p tprog
    bin=target/release/tprog
fi
threads=${TPROG_THREADS:-2}
full=(--n-layers 3 --n-heads-cat 4 --n-heads-num 4 --n-cat-mlps 2 --n-num-mlps 2)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| config | epochs | median s/epoch | wall time (s) |\n|---|---|---|---|\n'
for config in "${configs[@]}"; do
    case $config in
        reverse | hist | most_freq | dyck1) args=(--task "$config" --preset paper "${full[@]}") ;;
        readme_sort) args=(--task sort --preset readme) ;;
        conll | trec)
            if [ -z "${TPROG_NLP_DATA:-}" ]; then
                echo "$config needs TPROG_NLP_DATA (the NLP data directory)" >&2
                exit 2
            fi
            task=$config
            [ "$config" = conll ] && task=conll_ner
            args=(--task "$task" --data-dir "$TPROG_NLP_DATA" --preset paper)
            glove=$TPROG_NLP_DATA/glove/glove.6B.50d.nlp-subset.txt.gz
            if [ -f "$glove" ]; then
                args+=(--glove "$glove")
            fi
            ;;
        *) echo "unknown config '$config'" >&2; exit 2 ;;
    esac
    start=$(date +%s.%N)
    if ! "$bin" train "${args[@]}" --seed 0 --epochs "$epochs" --threads "$threads" \
        --out "$out/$config" --overwrite --quiet > "$out/$config.log" 2>&1; then
        cat "$out/$config.log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    python3 -c '
import json, statistics, sys
config, epochs, metrics, start, end = sys.argv[1:]
seconds = [json.loads(line)["seconds"] for line in open(metrics)]
print(f"| {config} | {epochs} | {statistics.median(seconds):.3f} | {float(end) - float(start):.1f} |")
' "$config" "$epochs" "$out/$config/metrics.jsonl" "$start" "$end"
done
