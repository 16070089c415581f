#!/usr/bin/env python3
"""Why hist stops at 99.95 %: which tokens occur six times in each split, and what each run's
program answers for a sequence of six equal tokens.

Usage: scripts/hist_count6.py RUN_DIR... (default: every run under runs/*/hist/)
Environment: TPROG_BIN (default target/release/tprog).

The label "6" (one token filling a sequence of six or seven) is rare in the reference's split;
a program can only learn it for the tokens that show it in training.
"""

import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

BIN = os.environ.get("TPROG_BIN", "target/release/tprog")
DIGITS = ["0", "1", "2", "3", "4", "5"]


def count6_tokens():
    """{split: Counter(token with count 6 -> sequences)} of the paper preset's hist data."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hist.jsonl")
        subprocess.run([BIN, "data", "--task", "hist", "--out", path], check=True,
                       stdout=subprocess.DEVNULL)
        found = collections.defaultdict(collections.Counter)
        with open(path) as lines:
            for line in lines:
                row = json.loads(line)
                for token, label in zip(row["tokens"], row["labels"]):
                    if label == "6":
                        found[row["split"]][token] += 1
    # Six positions per sequence carry the label.
    return {split: {t: n // 6 for t, n in sorted(c.items())} for split, c in found.items()}


def answers(run):
    """The program's labels at the six positions of `<s> t t t t t t`, for every digit t."""
    out = []
    for t in DIGITS:
        result = subprocess.run(
            [BIN, "run", os.path.join(run, "program.json"), "--tokens", "<s> " + " ".join([t] * 6)],
            check=True, capture_output=True, text=True)
        out.append("".join(result.stdout.strip().splitlines()[-1].split()[1:]))
    return out


def main(runs):
    runs = runs or sorted(glob.glob("runs/*/hist/seed*"))
    print("sequences with a token occurring 6 times, by split and token:")
    for split, tokens in sorted(count6_tokens().items()):
        print(f"  {split}: {tokens}")
    print()
    print("labels the program gives the six positions of `<s> t t t t t t` (right: 666666):")
    print()
    print("| run | " + " | ".join(f"t = {t}" for t in DIGITS) + " |")
    print("|---|" + "---|" * len(DIGITS))
    for run in runs:
        print(f"| {run} | " + " | ".join(answers(run)) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
