"""Pairwise precision / recall / F1 and wrong-merge rate of ``brain identity resolve``.

Runs the CLI (in process) on ../shared/data/er in both modes: ``uv run python bench/identity_eval.py
[--only febrl1,census_x_ssa] [--modes online,bulk]``.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipelines.cli._app import app

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "er"
HERE = Path(__file__).resolve().parent
FEBRL, PP = DATA / "febrl", DATA / "pseudopeople"
CENSUS = PP / "decennial_census_noised_seed0_allyears.csv.gz"
SSA = PP / "social_security_noised_seed0_allyears.csv.gz"
WIC = PP / "women_infants_and_children_noised_seed0_allyears.csv.gz"

# task → (files, mapping, link across sources?)
TASKS: dict[str, tuple[list[Path], Path, bool]] = {
    "febrl1": ([FEBRL / "dataset1.csv"], HERE / "identity_febrl.yaml", False),
    "febrl2": ([FEBRL / "dataset2.csv"], HERE / "identity_febrl.yaml", False),
    "febrl4a_x_4b": ([FEBRL / "dataset4a.csv", FEBRL / "dataset4b.csv"], HERE / "identity_febrl.yaml", True),
    "census": ([CENSUS], HERE / "identity_pseudopeople.yaml", False),
    "ssa": ([SSA], HERE / "identity_pseudopeople.yaml", False),
    "wic": ([WIC], HERE / "identity_pseudopeople.yaml", False),
    "census_x_ssa": ([CENSUS, SSA], HERE / "identity_pseudopeople.yaml", True),
    "census_x_wic": ([CENSUS, WIC], HERE / "identity_pseudopeople.yaml", True),
}


def truth_of(path: Path) -> list[str]:
    if path.parent.name == "febrl":
        ids = pd.read_csv(path, dtype=str, skipinitialspace=True)["rec_id"].str.strip()
        return [r.split("-")[1] for r in ids]
    return pd.read_csv(path, dtype=str, usecols=["simulant_id"])["simulant_id"].tolist()


def _pairs(counts: Counter[str], link: bool) -> int:
    n = sum(counts.values())
    if link:
        return (n * n - sum(c * c for c in counts.values())) // 2
    return n * (n - 1) // 2


def score(sources: list[str], pred: list[str], truth: list[str], link: bool) -> dict[str, float]:
    by_pred: dict[str, Counter[str]] = defaultdict(Counter)
    by_truth: dict[str, Counter[str]] = defaultdict(Counter)
    by_both: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for s, p, t in zip(sources, pred, truth, strict=True):
        by_pred[p][s] += 1
        by_truth[t][s] += 1
        by_both[(p, t)][s] += 1
    predicted = sum(_pairs(c, link) for c in by_pred.values())
    actual = sum(_pairs(c, link) for c in by_truth.values())
    tp = sum(_pairs(c, link) for c in by_both.values())
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    entities: dict[str, set[str]] = defaultdict(set)
    for p, t in zip(pred, truth, strict=True):
        entities[p].add(t)
    multi = [p for p, c in by_pred.items() if sum(c.values()) > 1]
    wrong = sum(1 for p in multi if len(entities[p]) > 1)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "wrong_merge_rate": wrong / len(multi) if multi else 0.0,
        "true_pairs": actual,
        "predicted_pairs": predicted,
    }


def run(task: str, mode: str, settings_dir: Path) -> dict[str, float]:
    files, mapping, link = TASKS[task]
    out = settings_dir / f"{task}-{mode}.csv"
    trained = settings_dir / f"{task}.settings.json"
    args = ["identity", "resolve", "--map", str(mapping), "--output", str(out), "--mode", mode]
    for f in files:
        args += ["--input", str(f)]
    args += ["--settings", str(trained)] if trained.exists() else ["--save-settings", str(trained)]
    t0 = time.perf_counter()
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise RuntimeError(f"{task}: {result.output}") from result.exception
    seconds = time.perf_counter() - t0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    truth = [t for path in files for t in truth_of(path)]
    metrics = score([r["source"] for r in rows], [r["gcid"] for r in rows], truth, link)
    metrics["seconds"] = seconds
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(TASKS))
    parser.add_argument("--modes", default="online,bulk")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is absent")
    head = f"{'task':<14} {'mode':<6} {'precision':>9} {'recall':>7} {'F1':>7}"
    print(f"{head} {'wrong-merge':>11} {'pairs':>8} {'s':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.only.split(","):
            for mode in args.modes.split(","):
                m = run(task, mode, Path(tmp))
                print(
                    f"{task:<14} {mode:<6} {m['precision']:9.4f} {m['recall']:7.4f} {m['f1']:7.4f} "
                    f"{m['wrong_merge_rate']:11.4f} {int(m['true_pairs']):8d} {m['seconds']:6.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
