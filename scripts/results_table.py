#!/usr/bin/env python3
"""Markdown tables of finished tprog runs: every seed, and the best seed by validation.

Usage: scripts/results_table.py RUNS_ROOT [RUNS_ROOT ...]
Reads every `summary.json` below the given directories (written by `tprog train`).
Standard library only.
"""
import json
import sys
from collections import defaultdict
from pathlib import Path


def pct(x):
    return f"{100.0 * x:.2f}"


def main(roots):
    runs = []
    for root in roots:
        for path in sorted(Path(root).rglob("summary.json")):
            summary = json.loads(path.read_text())
            summary["dir"] = str(path.parent)
            runs.append(summary)
    if not runs:
        print("no summary.json found under", " ".join(roots), file=sys.stderr)
        return 1
    groups = defaultdict(list)
    for run in runs:
        groups[(run["name"], run.get("preset") or "custom")].append(run)

    print("### Every run\n")
    print("| task | preset | seed | train % | val % | test % | faithful | best epoch | s/epoch | wall | machine |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, preset), group in sorted(groups.items()):
        for run in sorted(group, key=lambda r: r["seed"]):
            faithful = run.get("faithful", {})
            faith = "—" if not faithful else ("yes" if faithful.get("all_agree") else "**NO**")
            print(
                f"| {name} | {preset} | {run['seed']} | {pct(run['train']['token_acc'])} | "
                f"{pct(run['val']['token_acc'])} | {pct(run['test']['token_acc'])} | {faith} | "
                f"{run['best_epoch']}/{run['epochs']} | {run['seconds_per_epoch']:.2f} | "
                f"{run['wall_seconds'] / 60:.1f} min | {run['machine']}, {run['threads']} threads |"
            )
    print("\n### Best seed by validation accuracy\n")
    print("| task | preset | seeds | best seed | val % | test % |")
    print("|---|---|---|---|---|---|")
    for (name, preset), group in sorted(groups.items()):
        best = max(group, key=lambda r: (r["val"]["token_acc"], -r["seed"]))
        print(
            f"| {name} | {preset} | {len(group)} | {best['seed']} | "
            f"{pct(best['val']['token_acc'])} | {pct(best['test']['token_acc'])} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["runs"]))
