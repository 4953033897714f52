"""``brain identity resolve``: resolve customer files (CSV, gzipped CSV, Parquet) to GCIDs."""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

    from identity import FieldRecord, FileMapping, IdentitySettings


__all__ = ["LoadedRecords", "app", "load_records", "resolve_records", "simulated_records", "train_default"]

log = logging.getLogger(__name__)
app = typer.Typer(help="Identity resolution on files.", no_args_is_help=True)


@dataclass(frozen=True, slots=True)
class LoadedRecords:
    sources: list[str]
    record_ids: list[str]
    records: list[FieldRecord]


def _read(path: Path, columns: set[str]) -> pd.DataFrame:
    import pandas as pd

    name = path.name.lower()
    if name.endswith(".parquet"):
        frame = pd.read_parquet(path)
        return frame.astype(str).where(frame.notna(), "")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    missing = columns - set(frame.columns)
    if missing:
        raise typer.BadParameter(f"{path}: columns {sorted(missing)} not in the file")
    return frame


def load_records(inputs: list[Path], mapping: FileMapping) -> LoadedRecords:
    from identity import standardise

    out = LoadedRecords([], [], [])
    for path in inputs:
        spec = mapping.for_file(path.name)
        frame = _read(path, spec.columns())
        source = spec.source or path.name.split(".")[0]
        cols = {f: ([c] if isinstance(c, str) else c) for f, c in spec.fields.items()}
        data = {c: frame[c].astype(str).str.strip().tolist() for c in spec.columns()}
        ids = data[spec.record_id] if spec.record_id else [str(i) for i in range(len(frame))]
        for row in range(len(frame)):
            values = {f: " ".join(data[c][row] for c in cs).strip() for f, cs in cols.items()}
            out.records.append(standardise(values, spec.date_order))
        out.sources.extend([source] * len(frame))
        out.record_ids.extend(ids)
    return out


def resolve_records(records: list[FieldRecord], settings: IdentitySettings, mode: str) -> list[int]:
    from identity import Linker, bulk_clusters

    if mode == "bulk":
        return bulk_clusters(records, settings)
    linker = Linker(settings)
    for r in records:
        linker.add(r)
    return linker.clusters()


@app.command("resolve")
def resolve(
    inputs: Annotated[
        list[Path], typer.Option("--input", exists=True, dir_okay=False, help="CSV, .csv.gz or Parquet")
    ],
    mapping_file: Annotated[Path, typer.Option("--map", exists=True, dir_okay=False, help="Mapping YAML")],
    output: Annotated[Path, typer.Option("--output", help="CSV of source,record_id,gcid")],
    mode: Annotated[str, typer.Option("--mode", help="online (one record at a time) or bulk")] = "online",
    settings_file: Annotated[
        Path | None,
        typer.Option("--settings", help="IdentitySettings JSON (trained on the input by EM if untrained)"),
    ] = None,
    save_settings: Annotated[
        Path | None, typer.Option("--save-settings", help="Write the trained settings here")
    ] = None,
) -> None:
    """Resolve customer files to GCIDs; writes ``source,record_id,gcid`` in input order."""
    import yaml

    from identity import FileMapping, IdentitySettings, default_settings, train

    if mode not in ("online", "bulk"):
        raise typer.BadParameter("--mode must be online or bulk")
    mapping = FileMapping.parse(yaml.safe_load(mapping_file.read_text()))
    loaded = load_records(inputs, mapping)
    settings = IdentitySettings.from_json(settings_file.read_text()) if settings_file else default_settings()
    t0 = time.perf_counter()
    if not settings.trained:
        settings = train(settings, loaded.records)
        typer.echo(f"trained {settings.settings_version} in {time.perf_counter() - t0:.1f}s", err=True)
    if save_settings:
        save_settings.write_text(settings.to_json())
    t1 = time.perf_counter()
    clusters = resolve_records(loaded.records, settings, mode)
    typer.echo(f"resolved {len(clusters)} records ({mode}) in {time.perf_counter() - t1:.1f}s", err=True)
    with output.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "record_id", "gcid"])
        for s, rid, c in zip(loaded.sources, loaded.record_ids, clusters, strict=True):
            w.writerow([s, rid, f"GC{c:010d}"])


def simulated_records(customers: int, seed: int) -> tuple[list[FieldRecord], list[tuple[str, str]]]:
    """The simulator's customer events as the processor sees them, and their ``(system, key)``."""
    from identity import fields_of
    from pipelines.identity_graph import identity_record_of
    from pipelines.simulator import simulate_bank

    bank = simulate_bank(customers, seed, datetime(2026, 1, 1, tzinfo=UTC))
    records = [identity_record_of(c) for c in bank.customers]
    return [fields_of(r) for r in records], [(r.ref.source_system, r.ref.source_key) for r in records]


#: Training recipe of the shipped settings (``make identity-settings``): simulated people, seed,
#: and the floor on m (simulated duplicates are cleaner than real ones; see ``identity.train``).
TRAIN_CUSTOMERS, TRAIN_SEED, TRAIN_M_FLOOR = 20_000, 20261125, 0.002


@app.command("train-default")
def train_default(
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Where to write the trained settings (default: the shipped ones)"),
    ] = None,
    customers: Annotated[int, typer.Option(help="Simulated people")] = TRAIN_CUSTOMERS,
    seed: Annotated[int, typer.Option(help="Simulator seed")] = TRAIN_SEED,
) -> None:
    """EM-train the Wekeza settings on simulated customer events (no labels) and write them."""
    from identity import DEFAULT_SETTINGS_PATH, train, wekeza_settings

    output = output or DEFAULT_SETTINGS_PATH
    records, _ = simulated_records(customers, seed)
    t0 = time.perf_counter()
    settings = train(wekeza_settings(), records, m_floor=TRAIN_M_FLOOR, monotone="ordered")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(settings.to_json() + "\n")
    typer.echo(
        f"trained {settings.settings_version} on {len(records)} records in {time.perf_counter() - t0:.1f}s"
        f" -> {output}",
        err=True,
    )
