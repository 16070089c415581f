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


# The paper's Table 1 (RASP-style programs, best of 5 seeds), and induction's "perfect".
PAPER = {
    "reverse": 99.79,
    "hist": 100.0,
    "double_hist": 98.40,
    "sort": 99.83,
    "most_freq": 75.69,
    "dyck1": 99.30,
    "dyck2": 99.09,
    "induction": 100.0,
}


# The paper's Table 3 (categorical-only programs, best of 5 seeds).
PAPER_CATEGORICAL = {
    "reverse": 99.75,
    "hist": 83.20,
    "double_hist": 55.89,
    "sort": 99.99,
    "most_freq": 64.13,
    "dyck1": 99.43,
    "dyck2": 99.17,
}
PAPER_BY_PRESET = {"paper": PAPER, "categorical": PAPER_CATEGORICAL}


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
    print("Training time is the sum over every session of a resumed run (from state.json); it")
    print("excludes the final decompile and verify.\n")
    print("| task | preset | seed | train % | val % | test % | faithful | best epoch | s/epoch | training time | machine |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, preset), group in sorted(groups.items()):
        for run in sorted(group, key=lambda r: r["seed"]):
            faithful = run.get("faithful", {})
            faith = "—" if not faithful else ("yes" if faithful.get("all_agree") else "**NO**")
            if run.get("program_error"):
                faith = "no program"
            stopped = " (interrupted)" if run.get("interrupted") else ""
            print(
                f"| {name} | {preset} | {run['seed']} | {pct(run['train']['token_acc'])} | "
                f"{pct(run['val']['token_acc'])} | {pct(run['test']['token_acc'])} | {faith} | "
                f"{run['best_epoch']}/{run['epochs']}{stopped} | {run['seconds_per_epoch']:.2f} | "
                f"{run['train_seconds'] / 60:.1f} min | {run['machine']}, {run['threads']} threads |"
            )
    print("\n### Best seed by validation accuracy (finished runs only)\n")
    print("| task | preset | seeds finished | best seed | val % | test % | paper (best of 5) |")
    print("|---|---|---|---|---|---|---|")
    for (name, preset), group in sorted(groups.items()):
        done = [r for r in group if not r.get("interrupted")]
        table = PAPER_BY_PRESET.get(preset, {})
        paper = f"{table[name]:.2f}" if name in table else "—"
        if not done:
            print(f"| {name} | {preset} | 0 | — | — | — | {paper} |")
            continue
        best = max(done, key=lambda r: (r["val"]["token_acc"], -r["seed"]))
        print(
            f"| {name} | {preset} | {len(done)} | {best['seed']} | "
            f"{pct(best['val']['token_acc'])} | {pct(best['test']['token_acc'])} | {paper} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["runs"]))
