#!/usr/bin/env python3
"""The line-count table of docs/reading-programs.md from `tprog simplify` outputs.

Usage: scripts/reading_table.py DIR
DIR holds, for each task, `<task>.txt` (what `tprog simplify RUN` printed) and the run
directory's `summary.json` as `<task>.summary.json`. Prints one Markdown row per task, beside
the paper's Table 4. Standard library only.
"""
import json
import re
import sys
from pathlib import Path

PAPER = {  # Table 4: full -> pruned lines
    "reverse": (1893, 713), "hist": (324, 160), "double_hist": (1309, 423),
    "sort": (1503, 635), "most_freq": (1880, 666), "dyck1": (9975, 892),
    "dyck2": (5406, 733), "induction": None,
}


def numbers(text, label):
    m = re.search(rf"^{label}\s+(\d+)\s+(\d+)", text, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def main(directory):
    d = Path(directory)
    print("| task (seed) | test % (best epoch) | paper full → pruned | module lines | own lines "
          "| file lines | modules | table entries | evidence | simplify time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for task in PAPER:
        out = d / f"{task}.txt"
        if not out.exists():
            continue
        text = out.read_text()
        summary = json.loads((d / f"{task}.summary.json").read_text())
        paper = PAPER[task]
        paper_text = f"{paper[0]} → {paper[1]}" if paper else "—"
        cells = []
        for label in ["module lines", "own lines", "python lines", "modules", "table entries"]:
            a, b = numbers(text, label)
            better = paper and label in ("module lines", "own lines") and b < paper[1]
            cells.append(f"{a} → {'**' if better else ''}{b}{'**' if better else ''}")
        evidence = re.search(r"^evidence: (.*)$", text, re.M).group(1)
        evidence = evidence.replace("exhaustive: every one of the ", "exhaustive, ")
        evidence = re.sub(r" inputs of the \w+ task's support", " inputs", evidence)
        seconds = re.search(r"rounds, ([\d.]+) s", text).group(1)
        test = f"{100 * summary['test']['token_acc']:.2f} ({summary['best_epoch']})"
        print(f"| {task} ({summary['seed']}) | {test} | {paper_text} | {' | '.join(cells)} | {evidence} "
              f"| {float(seconds):.0f} s |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
