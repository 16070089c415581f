#!/usr/bin/env python3
"""The Fig. 10 comparison table from archived runs of scripts/baseline_compare.sh.

Usage: scripts/baseline_table.py ROOT
Reads ROOT/<size>/<task>/<model>/seed<s>/summary.json and prints, per setting and task, the
test accuracy of the best seed by validation for the Transformer Program and the standard
Transformer, every seed's test accuracy, and the wall time of each run. Standard library only.
"""
import json
import sys
from pathlib import Path


def pct(x):
    return "—" if x is None else f"{100.0 * x:.2f}"


def runs(model_dir):
    out = []
    for summary in sorted(model_dir.glob("seed*/summary.json")):
        s = json.loads(summary.read_text())
        out.append(s)
    return out


def best(summaries):
    scored = [s for s in summaries if s["val"]["token_acc"] is not None]
    return max(scored, key=lambda s: s["val"]["token_acc"], default=None)


def main(root):
    root = Path(root)
    for size_dir in sorted(root.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0):
        if not size_dir.is_dir() or not size_dir.name.isdigit():
            continue
        print(f"\n## |V| = N = {size_dir.name}\n")
        print("| task | program: best test % | standard: best test % | program seeds (test %, s) | standard seeds (test %, s) |")
        print("|---|---|---|---|---|")
        for task_dir in sorted(p for p in size_dir.iterdir() if p.is_dir()):
            cells = []
            seeds = []
            for model in ("program", "standard"):
                summaries = runs(task_dir / model)
                b = best(summaries)
                cells.append(pct(b["test"]["token_acc"]) if b else "—")
                seeds.append(", ".join(
                    f"{s['seed']}: {pct(s['test']['token_acc'])} ({s['wall_seconds']:.0f} s)"
                    for s in summaries) or "—")
            print(f"| {task_dir.name} | {cells[0]} | {cells[1]} | {seeds[0]} | {seeds[1]} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
