#!/usr/bin/env python3
"""docs/results-baseline.md: Transformer Programs against the standard Transformer (the
paper's Fig. 10 comparison, issue 12), from archived run summaries.

Usage: scripts/baseline_table.py [REPO_ROOT] > docs/results-baseline.md

Reads summary.json files below
  results/paper/<task>/seed<s>/                 Transformer Program, |V| = N = 8 (Table 1's sweep)
  results/baseline/8/standard/<task>/seed<s>/   standard Transformer, |V| = N = 8
  results/baseline/16/<model>/<task>/seed<s>/   both models, |V| = N = 16
  results/reverse16-training/<change>/seed<s>/  the training changes on reverse at 16
  results/slow16/<task>/seed<s>/                the `slow` preset on other tasks at 16
  results/lengthgen/<model>/<task>/seed<s>/     length generalisation (train <= 8, test 9..16)
  results/lengthgen/data/<task>.json            its test positions whose label training never has
as the sweeps in sweeps/baseline*.toml and scripts/lengthgen.sh archive them. For every task:
the best seed by validation accuracy and its test accuracy, every seed's test accuracy and the
wall time of each run. Standard library only.
"""
import json
import sys
from pathlib import Path

TASKS = ["reverse", "hist", "double_hist", "sort", "most_freq", "dyck1", "dyck2", "induction"]
MODELS = ["program", "standard"]


def pct(x):
    return "—" if x is None else f"{100.0 * x:.2f}"


def summaries(directory):
    out = []
    for path in sorted(directory.glob("seed*/summary.json"), key=lambda p: int(p.parent.name[4:])):
        summary = json.loads(path.read_text())
        if not summary.get("interrupted"):
            out.append(summary)
    return out


def best(runs):
    scored = [s for s in runs if s["val"]["token_acc"] is not None]
    return max(scored, key=lambda s: (s["val"]["token_acc"], -s["seed"]), default=None)


def seconds(summary):
    # A resumed run's wall_seconds is its last session's; its summed training time says more.
    return max(summary["wall_seconds"], summary["train_seconds"])


def every_seed(runs):
    return ", ".join(f"{s['seed']}: {pct(s['test']['token_acc'])} ({seconds(s) / 60:.1f} min)"
                     for s in runs) or "not run yet"


def comparison(title, dirs, note):
    print(f"\n## {title}\n")
    print(note + "\n")
    print("| task | program: best seed, test % | standard: best seed, test % | gap (standard − program) |")
    print("|---|---|---|---|")
    detail = []
    for task in TASKS:
        cells, gaps = [], []
        for model in MODELS:
            runs = summaries(dirs[model] / task)
            b = best(runs)
            if b is None:
                cells.append("not run yet")
                gaps.append(None)
            else:
                cells.append(f"{pct(b['test']['token_acc'])} (seed {b['seed']} of {len(runs)})")
                gaps.append(b["test"]["token_acc"])
            detail.append((task, model, every_seed(runs)))
        gap = "—" if None in gaps else f"{100.0 * (gaps[1] - gaps[0]):+.2f}"
        print(f"| {task} | {cells[0]} | {cells[1]} | {gap} |")
    print("\nEvery seed (test %, training time):\n")
    print("| task | model | seeds |")
    print("|---|---|---|")
    for task, model, text in detail:
        print(f"| {task} | {model} | {text} |")


def length_generalisation(root):
    base = root / "results/lengthgen"
    print("\n## Length generalisation (train at length ≤ 8, test at 9–16)\n")
    print("`scripts/lengthgen.sh` writes one data file per task: training and validation examples")
    print("of 1–8 tokens, test examples of 9–16 (vocabulary 8, the `tprog data` generator), and")
    print("trains both models on it. Positions 9–16 exist in both models but are never seen in")
    print("training: their one-hot position values (Transformer Program) and learned position")
    print("vectors (standard Transformer) keep their initial values; the Transformer Program's")
    print("variables have k = max(|V|, n_ctx) = 16 values. Validation accuracy is in-distribution")
    print("(≤ 8), test accuracy out of distribution. The output vocabulary holds every split's")
    print("labels (`--all-labels`): on the counting tasks some test positions have a count no")
    print("training line has, a class neither model is ever taught; \"ceiling\" is the share of")
    print("test positions whose label some training line has (results/lengthgen/data/<task>.json).\n")
    print("| task | ceiling % | program: val % (≤ 8) | program: test % (9–16) | standard: val % (≤ 8) | standard: test % (9–16) | wall time (program, standard) |")
    print("|---|---|---|---|---|---|---|")
    for task in TASKS:
        cells, times = [], []
        for model in MODELS:
            b = best(summaries(base / model / task))
            cells += ["—", "—"] if b is None else [pct(b["val"]["token_acc"]), pct(b["test"]["token_acc"])]
            times.append("—" if b is None else f"{seconds(b) / 60:.1f} min")
        if cells == ["—"] * 4:
            continue
        stats_file = base / "data" / f"{task}.json"
        ceiling = "—"
        if stats_file.exists():
            stats = json.loads(stats_file.read_text())
            total = stats["test_positions"]
            ceiling = pct((total - stats["test_positions_unseen_label"]) / total)
        print(f"| {task} | {ceiling} | {' | '.join(cells)} | {', '.join(times)} |")


def training_change(root):
    base = root / "results/reverse16-training"
    print("\n## A change to training at |V| = N = 16: reverse\n")
    print("sweeps/reverse16-training.toml: the `paper` preset (1 Gumbel sample, 250 epochs; the")
    print("same runs as the |V| = N = 16 table's reverse row) against two principled changes on the")
    print("same seeds: 2 Gumbel samples per step (losses averaged: a lower-variance gradient) and a")
    print("slower temperature schedule (500 epochs). Test token accuracy % (sequence accuracy %).")
    print("Full table: [results-reverse16.md](results-reverse16.md). What became of them: the")
    print("slower schedule is better on every seed, so it is the `slow` preset (`paper` with 500")
    print("epochs, at twice the time; the next table tries it on other tasks). Two samples help")
    print("less than one point on average, and seed 2 is worse than with one sample, so they are")
    print("not a preset (`--gumbel-samples 2` remains). Neither closes the gap to the standard")
    print("Transformer's 100 %.\n")
    changes = [("1+250", "preset: 1 sample, 250 epochs"), ("2+250", "2 samples, 250 epochs"),
               ("1+500", "1 sample, 500 epochs")]
    runs = {c: {r["seed"]: r for r in summaries(base / c)} for c, _ in changes}
    seeds = sorted({seed for by_seed in runs.values() for seed in by_seed})
    print("| change | " + " | ".join(f"seed {s}" for s in seeds) + " | mean change vs preset, same seeds |")
    print("|---|" + "---|" * len(seeds) + "---|")
    for change, label in changes:
        cells, deltas = [], []
        for seed in seeds:
            r = runs[change].get(seed)
            if r is None:
                cells.append("not run yet")
                continue
            cells.append(f"{pct(r['test']['token_acc'])} ({pct(r['test']['sequence_acc'])}), "
                         f"{seconds(r) / 60:.0f} min")
            preset = runs["1+250"].get(seed)
            if preset is not None:
                deltas.append(100.0 * (r["test"]["token_acc"] - preset["test"]["token_acc"]))
        delta = f"{sum(deltas) / len(deltas):+.2f} ({len(deltas)} seeds)" if deltas else "—"
        print(f"| {label} | {' | '.join(cells)} | {delta if change != '1+250' else '—'} |")


def slow_preset(root):
    base = root / "results/slow16"
    paper = root / "results/baseline/16/program"
    print("\n### The `slow` preset on the other tasks at |V| = N = 16\n")
    print("sweeps/slow16.toml: `slow` (`paper` with 500 epochs) against the |V| = N = 16 table's")
    print("`paper` runs of the same seeds. Test token accuracy % (sequence accuracy %), wall time.\n")
    print("| task | seed | paper | slow | change |")
    print("|---|---|---|---|---|")
    def cell(run):
        return (f"{pct(run['test']['token_acc'])} ({pct(run['test']['sequence_acc'])}), "
                f"{seconds(run) / 60:.0f} min")

    rows = 0
    for task in TASKS:
        by_seed = {r["seed"]: r for r in summaries(paper / task)}
        for r in summaries(base / task):
            p = by_seed.get(r["seed"])
            change = "—" if p is None else f"{100.0 * (r['test']['token_acc'] - p['test']['token_acc']):+.2f}"
            print(f"| {task} | {r['seed']} | {cell(p) if p else 'not run yet'} | {cell(r)} | {change} |")
            rows += 1
    if rows == 0:
        print("| — | — | — | not run yet | — |")


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    print("# Transformer Programs against a standard Transformer (the paper's Fig. 10)\n")
    print("Made by `scripts/baseline_table.py` from archived summaries (see its header for the")
    print("directories, and docs/baseline.md for the two models). Best seed by validation accuracy,")
    print("its test accuracy (token accuracy over the scored positions). The paper gives Fig. 10")
    print("as a plot only; its text says the standard Transformer wins on most tasks but the")
    print("histograms, by more than 50 points in the hardest |V| = N = 16 settings, and its")
    print("Table 5 puts a Transformer Program for reverse at 16 at about 23 % from random")
    print("initialisation.")
    comparison(
        "|V| = N = 8 (the paper's setting)",
        {"program": root / "results/paper", "standard": root / "results/baseline/8/standard"},
        "Transformer Program: the `paper` preset (Table 1's runs, sweeps/table1-paper.toml). "
        "Standard: the `standard` preset (sweeps/baseline8-standard.toml).",
    )
    comparison(
        "|V| = N = 16 (Dyck at length 32, induction at 16)",
        {m: root / "results/baseline/16" / m for m in MODELS},
        "The same presets with vocabulary 16 and length up to 16 "
        "(sweeps/baseline16-program.toml, sweeps/baseline16-standard.toml); the Transformer "
        "Program's variables widen to k = max(|V|, n_ctx).",
    )
    training_change(root)
    slow_preset(root)
    length_generalisation(root)


if __name__ == "__main__":
    main()
