"""Pairwise precision / recall / F1 and wrong-merge rate of ``brain identity resolve``.

Runs the CLI (in process) on ../shared/data/er in both modes: ``uv run python bench/identity_eval.py
[--only febrl1,census_x_ssa] [--modes online,bulk]``.

Task ``simulator``: the simulator's customer events (core banking ``v5`` and agency banking ``dfs``,
a seed the shipped settings were not trained on) resolved with the shipped Wekeza settings (no
re-training), scored against the simulator's ground truth; it also counts household members
(people sharing a phone) put on one GCID.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cli._app import app
from cli._identity import simulated_records
from identity import DEFAULT_SETTINGS_PATH, FIELDS
from pipelines.simulator import simulate_bank

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
# The dataset README's Splink reference (F1 0.989) links the 2020 census records only to social
# security; the all-years task above is harder (up to 11 census records per person, moves between years).
CENSUS_2020_X_SSA = "census2020_x_ssa"


def write_census_2020(directory: Path) -> Path:
    """The census file's 2020 records (the README's reference task), as gzipped CSV."""
    path = directory / "decennial_census_2020.csv.gz"
    with gzip.open(CENSUS, "rt", newline="") as src, gzip.open(path, "wt", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=list(reader.fieldnames or ()))
        writer.writeheader()
        writer.writerows(row for row in reader if row["year"] == "2020")
    return path


SIMULATOR = "simulator"
SIM_CUSTOMERS, SIM_SEED = 20_000, 7  # the shipped settings were trained on another seed


def write_simulator(directory: Path) -> Path:
    """The simulated bank's customer records as the processor standardises them, and the truth."""
    records, refs = simulated_records(SIM_CUSTOMERS, SIM_SEED)
    bank = simulate_bank(SIM_CUSTOMERS, SIM_SEED, datetime(2026, 1, 1, tzinfo=UTC))
    path = directory / "simulator_customers.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source_system", "source_key", "person_id", "household_id", *FIELDS])
        for (system, key), record in zip(refs, records, strict=True):
            person = bank.truth[(system, key)]
            w.writerow([system, key, person, bank.households[person], *record])
    return path


def truth_of(path: Path) -> list[str]:
    if path.name.startswith("simulator"):
        return pd.read_csv(path, dtype=str, usecols=["person_id"])["person_id"].tolist()
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


def households_merged(path: Path, pred: list[str]) -> tuple[int, int]:
    """(pairs of different people of one household on one GCID, pairs of household members)."""
    frame = pd.read_csv(path, dtype=str, usecols=["person_id", "household_id"])
    people: dict[str, set[str]] = defaultdict(set)
    gcids: dict[str, set[str]] = defaultdict(set)
    for person, house, gcid in zip(frame["person_id"], frame["household_id"], pred, strict=True):
        people[house].add(person)
        gcids[person].add(gcid)
    merged = total = 0
    for members in people.values():
        ms = sorted(members)
        for x, a in enumerate(ms):
            for b in ms[x + 1 :]:
                total += 1
                merged += bool(gcids[a] & gcids[b])
    return merged, total


def run(task: str, mode: str, settings_dir: Path) -> dict[str, float]:
    if task == SIMULATOR:
        sim = settings_dir / "simulator_customers.csv"
        files, mapping, link = (
            [sim if sim.exists() else write_simulator(settings_dir)],
            HERE / "identity_simulator.yaml",
            False,
        )
        trained = DEFAULT_SETTINGS_PATH
    elif task == CENSUS_2020_X_SSA:
        census = settings_dir / "decennial_census_2020.csv.gz"
        files, mapping, link = (
            [census if census.exists() else write_census_2020(settings_dir), SSA],
            HERE / "identity_pseudopeople.yaml",
            True,
        )
        trained = settings_dir / f"{task}.settings.json"
    else:
        files, mapping, link = TASKS[task]
        trained = settings_dir / f"{task}.settings.json"
    out = settings_dir / f"{task}-{mode}.csv"
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
    if task == SIMULATOR:
        merged, total = households_merged(files[0], [r["gcid"] for r in rows])
        print(f"  household pairs on one GCID: {merged} of {total}", flush=True)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join([*TASKS, CENSUS_2020_X_SSA, SIMULATOR]))
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
