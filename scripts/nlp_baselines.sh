#!/usr/bin/env bash
# The count baselines of the paper's NLP tables on the real data sets, with the paper's
# settings (tprog baseline): unigram tagger on CoNLL-2003 (entity P/R/F1, seqeval strict IOB2)
# and multinomial naive Bayes on TREC, MR, Subj and AG News (accuracy).
#
# Usage: scripts/nlp_baselines.sh DATA_DIR
#   DATA_DIR holds conll2003/, trec/, mr/, subj/senteval/ and ag_news/ (see docs/nlp.md).
#   TPROG overrides the command (default: cargo run -q --release -p tprog --).
set -u
data_dir=${1:?usage: scripts/nlp_baselines.sh DATA_DIR}
tprog=${TPROG:-cargo run -q --release -p tprog --}
for task in conll_ner trec mr subj ag_news; do
    echo "== $task"
    $tprog baseline --task "$task" --data-dir "$data_dir" || echo "($task: not run, see the error above)"
    echo
done
